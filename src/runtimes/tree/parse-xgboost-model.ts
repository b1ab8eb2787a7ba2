import {
  expectArray,
  expectCount,
  expectFloatArray,
  expectIntArray,
  expectNumberLike,
  expectObject,
  expectObjectField,
  expectString,
  type JsonObject,
} from './expect-json.js';
import { flattenTrees } from './flatten-trees.js';
import { ModelFormatError } from './model-format-error.js';
import { baseScoreToMargin, resolveObjective, type Objective } from './objective.js';
import { parseXGBoostTree } from './parse-xgboost-tree.js';
import type { TreeEnsemble } from './tree-ensemble.js';
import type { TreeModelMetadata } from './tree-model-metadata.js';

const LEARNER = 'learner';
const PARAM = `${LEARNER}.learner_model_param`;
const BOOSTER = `${LEARNER}.gradient_booster`;

/** The tree model and DART weights inside `learner.gradient_booster`. */
interface BoosterModel {
  readonly name: string;
  readonly model: JsonObject;
  readonly modelPath: string;
  readonly weightDrop: unknown;
}

/** Locates the gbtree model (plain or inside DART). */
function readBooster(learner: JsonObject): BoosterModel {
  const booster = expectObjectField(learner, 'gradient_booster', LEARNER);
  const name = expectString(booster.name, `${BOOSTER}.name`);
  if (name === 'gbtree') {
    return {
      name,
      model: expectObjectField(booster, 'model', BOOSTER),
      modelPath: `${BOOSTER}.model`,
      weightDrop: undefined,
    };
  }
  if (name === 'dart') {
    const gbtree = expectObjectField(booster, 'gbtree', BOOSTER);
    return {
      name,
      model: expectObjectField(gbtree, 'model', `${BOOSTER}.gbtree`),
      modelPath: `${BOOSTER}.gbtree.model`,
      weightDrop: booster.weight_drop,
    };
  }
  throw new ModelFormatError(
    `${BOOSTER}.name`,
    `unsupported booster "${name}" (only gbtree and dart tree models are supported)`,
  );
}

/** Number of margins per row implied by the objective and learner parameters. */
function readNumGroups(param: JsonObject, objective: Objective): number {
  const numClass = param.num_class === undefined ? 0 : expectCount(param.num_class, `${PARAM}.num_class`);
  const numTarget = param.num_target === undefined ? 1 : expectCount(param.num_target, `${PARAM}.num_target`);
  if (objective.multiclass) {
    if (numClass < 2)
      throw new ModelFormatError(`${PARAM}.num_class`, `${objective.name} needs num_class >= 2, got ${numClass}`);
    return numClass;
  }
  if (numClass > 1)
    throw new ModelFormatError(
      `${PARAM}.num_class`,
      `num_class ${numClass} is inconsistent with objective ${objective.name}`,
    );
  return Math.max(1, numTarget);
}

/** Parses base_score: "5E-1" (XGBoost 1.x/2.x) or "[5E-1,...]" (3.x, one per output). */
function readBaseScore(value: unknown, numGroups: number): number[] {
  const path = `${PARAM}.base_score`;
  const text = expectString(value, path).trim();
  const parts = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1).split(',') : [text];
  const scores = parts.map((p) => expectNumberLike(p.trim(), path));
  if (scores.length === 1) return new Array<number>(numGroups).fill(scores[0]);
  if (scores.length !== numGroups)
    throw new ModelFormatError(path, `expected 1 or ${numGroups} values, got ${scores.length}`);
  return scores;
}

/** Reads an optional list of per-feature strings (empty list means absent). */
function readFeatureStrings(value: unknown, numFeatures: number, path: string): string[] | null {
  if (value === undefined) return null;
  const arr = expectArray(value, path);
  if (arr.length === 0) return null;
  if (arr.length !== numFeatures)
    throw new ModelFormatError(path, `expected ${numFeatures} entries (num_feature), got ${arr.length}`);
  return arr.map((v, i) => expectString(v, `${path}[${i}]`));
}

/** Reads tree_info (the output group of each tree) and checks it. */
function readTreeGroups(model: JsonObject, path: string, numTrees: number, numGroups: number): Int32Array {
  const groups = expectIntArray(model.tree_info, `${path}.tree_info`, numTrees);
  groups.forEach((g, i) => {
    if (g < 0 || g >= numGroups)
      throw new ModelFormatError(`${path}.tree_info[${i}]`, `group ${g} is out of range for ${numGroups} outputs`);
  });
  return groups;
}

/** Reads DART tree weights; null for gbtree. */
function readTreeWeights(booster: BoosterModel, numTrees: number): Float32Array | null {
  if (booster.name !== 'dart') return null;
  return expectFloatArray(booster.weightDrop, `${BOOSTER}.weight_drop`, numTrees);
}

/** Reads the optional top-level `version` array. */
function readVersion(root: JsonObject): number[] | null {
  if (!Array.isArray(root.version)) return null;
  return root.version.every((v) => typeof v === 'number') ? (root.version as number[]) : null;
}

/** Reads the trees array and checks it against gbtree_model_param.num_trees. */
function readTrees(booster: BoosterModel, numFeatures: number) {
  const path = `${booster.modelPath}.trees`;
  const trees = expectArray(booster.model.trees, path);
  const param = booster.model.gbtree_model_param;
  if (param !== undefined) {
    const declared = expectCount(
      expectObject(param, `${booster.modelPath}.gbtree_model_param`).num_trees,
      `${booster.modelPath}.gbtree_model_param.num_trees`,
    );
    if (declared !== trees.length)
      throw new ModelFormatError(path, `num_trees is ${declared} but ${trees.length} trees are present`);
  }
  return trees.map((t, i) => parseXGBoostTree(t, numFeatures, `${path}[${i}]`));
}

/**
 * Builds a {@link TreeEnsemble} from a parsed XGBoost JSON model (the object written by
 * `Booster.save_model("model.json")`, XGBoost >= 1.0; gbtree or dart boosters).
 * @throws ModelFormatError describing the first problem found (with its JSON path).
 */
export function parseXGBoostModel(json: unknown): TreeEnsemble {
  const root = expectObject(json, '');
  const learner = expectObjectField(root, LEARNER, '');
  const param = expectObjectField(learner, 'learner_model_param', LEARNER);
  const objective = resolveObjective(
    expectString(expectObjectField(learner, 'objective', LEARNER).name, `${LEARNER}.objective.name`),
    `${LEARNER}.objective.name`,
  );
  const numFeatures = expectCount(param.num_feature, `${PARAM}.num_feature`);
  const numGroups = readNumGroups(param, objective);
  const baseScore = readBaseScore(param.base_score, numGroups);
  const booster = readBooster(learner);
  const trees = readTrees(booster, numFeatures);
  const metadata: TreeModelMetadata = {
    format: 'xgboost-json',
    xgboostVersion: readVersion(root),
    booster: booster.name,
    numFeatures,
    featureNames: readFeatureStrings(learner.feature_names, numFeatures, `${LEARNER}.feature_names`),
    featureTypes: readFeatureStrings(learner.feature_types, numFeatures, `${LEARNER}.feature_types`),
    numClasses: objective.multiclass ? numGroups : objective.isClassifier ? 2 : 0,
    numOutputs: numGroups,
    objective: objective.name,
    isClassifier: objective.isClassifier,
    numTrees: trees.length,
    baseScore,
  };
  return {
    metadata,
    objective,
    numFeatures,
    numGroups,
    numTrees: trees.length,
    baseMargin: Float32Array.from(baseScore, (s) => baseScoreToMargin(objective, s, `${PARAM}.base_score`)),
    treeGroup: readTreeGroups(booster.model, booster.modelPath, trees.length, numGroups),
    treeWeight: readTreeWeights(booster, trees.length),
    ...flattenTrees(trees, `${booster.modelPath}.trees`),
  };
}
