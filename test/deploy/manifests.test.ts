/**
 * The Kubernetes manifests in deploy/: every overlay is rendered with `kubectl kustomize`, every object is checked
 * against the Kubernetes API schemas offline (kubernetes-models; the Prometheus Operator's for the ServiceMonitor),
 * and the rules a platform team relies on are asserted on the rendered objects: non-root, read-only root,
 * dropped capabilities, probes on the V2 health routes, a grace period that covers preStop plus inferd's own
 * shutdown, the standard labels, selectors that match the pods, the HPA's target and metric, and per overlay the
 * replicas and the state store. The server config in the ConfigMap is resolved with the server's own schema (a
 * 0.0.0.0 bind passes because auth is on), and a server started on it answers the probes' routes without
 * credentials while inference without them is refused. The KServe runtime and the Dockerfile are checked too.
 *
 * Needs kubectl (kustomize v5, built in); without it the rendering tests are skipped, saying so.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Container } from 'kubernetes-models/v1/Container';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { configFromEnv, resolveServerConfig, type ServerConfigFile } from '../../src/config/index.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { get, MODELS_DIR, postJson, ROOT, startTestServer } from '../helpers/server.js';

const KUBERNETES = join(ROOT, 'deploy', 'kubernetes');
/** What the Secrets would hold, for resolving the config as the pod sees it. */
const SECRET_STAND_INS: Record<string, string> = {
  INFERD_STATE_URL: 'postgres://inferd:secret@inferd-postgres:5432/inferd',
  INFERD_REDIS_URL: 'redis://:secret@inferd-redis:6379',
};
const OVERLAYS = ['single', 'replicated', 'bucket'] as const;
type Overlay = (typeof OVERLAYS)[number];

const STANDARD_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
];

/** A rendered object, loosely typed: the schemas below check its shape, the tests read the fields they assert. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary Kubernetes objects, read field by field
type K8sObject = Record<string, any>;

type Validator = new (data: never) => { validate(): void };
/** Every kind the overlays may render, with its schema. Anything else fails: it would go unchecked. */
const SCHEMAS: Record<string, Validator> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function kubectlVersion(): string | undefined {
  try {
    return execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}
const kubectl = kubectlVersion();
const skip = kubectl === undefined ? 'kubectl is not installed: the overlays cannot be rendered (install kubectl ≥ 1.27)' : false;

const rendered = new Map<Overlay, K8sObject[]>();
function render(overlay: Overlay): K8sObject[] {
  let objects = rendered.get(overlay);
  if (!objects) {
    const text = execFileSync('kubectl', ['kustomize', join(KUBERNETES, 'overlays', overlay)], { encoding: 'utf8' });
    objects = parseAllDocuments(text).map((d) => {
      assert.deepEqual(d.errors, [], `${overlay}: the rendered YAML parses`);
      return d.toJS() as K8sObject;
    });
    rendered.set(overlay, objects);
  }
  return objects;
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}, found ${found.length}`);
  return found[0];
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The server config file the ConfigMap carries (parsed, not yet resolved). */
function configFile(objects: K8sObject[]): Partial<ServerConfigFile> & Record<string, unknown> {
  const map = only(objects, 'ConfigMap');
  return parse(map.data['inferd.yaml'] as string) as Partial<ServerConfigFile> & Record<string, unknown>;
}

/**
 * Resolves the config as the pod does: the ConfigMap's file under the Deployment's environment, with a stand-in
 * value for each variable taken from a Secret.
 */
function resolvedConfig(objects: K8sObject[]) {
  const { inferd } = deploymentParts(objects);
  const env: Record<string, string> = {};
  for (const e of (inferd.env ?? []) as K8sObject[])
    env[e.name as string] = e.valueFrom?.secretKeyRef ? (SECRET_STAND_INS[e.name as string] ?? 'x') : e.value;
  return resolveServerConfig(configFile(objects), configFromEnv(env));
}

function deploymentParts(objects: K8sObject[]) {
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec as K8sObject;
  const containers = pod.containers as K8sObject[];
  const inferd = containers.find((c) => c.name === 'inferd');
  assert.ok(inferd, 'a container named inferd');
  return { deployment, pod, containers, inferd };
}

describe('kubernetes manifests', { skip }, () => {
  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      test('every object is valid against the Kubernetes API schemas', () => {
        const objects = render(overlay);
        assert.ok(objects.length > 0);
        for (const o of objects) {
          const schema = SCHEMAS[`${o.apiVersion}/${o.kind}`];
          assert.ok(schema, `no schema for ${o.apiVersion} ${o.kind}: add one to SCHEMAS`);
          assert.doesNotThrow(() => new schema(o as never).validate(), `${o.kind} ${o.metadata?.name}`);
        }
        // And a broken object is refused, so the check above is not vacuous.
        const broken = structuredClone(only(objects, 'Deployment'));
        broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
        assert.throws(() => new Deployment(broken as never).validate(), /containerPort must be integer/);
      });

      test('every object and the pods carry the standard app.kubernetes.io labels', () => {
        const objects = render(overlay);
        const { deployment } = deploymentParts(objects);
        for (const o of [...objects, deployment.spec.template]) {
          const labels = (o.metadata?.labels ?? {}) as Record<string, string>;
          for (const label of STANDARD_LABELS)
            assert.ok(labels[label], `${o.kind ?? 'pod template'} ${o.metadata?.name ?? ''} has ${label}`);
        }
      });

      test('the pod runs as non-root on a read-only root, without privilege escalation or capabilities', () => {
        const { pod, containers } = deploymentParts(render(overlay));
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.ok(pod.securityContext.runAsUser > 0);
        assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
        assert.equal(pod.automountServiceAccountToken, false);
        for (const c of [...containers, ...((pod.initContainers ?? []) as K8sObject[])]) {
          const sc = c.securityContext as K8sObject;
          assert.equal(sc.readOnlyRootFilesystem, true, `${c.name}: read-only root`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
          assert.equal(sc.runAsNonRoot ?? pod.securityContext.runAsNonRoot, true);
          assert.deepEqual(sc.capabilities.drop, ['ALL'], `${c.name}: every capability dropped`);
          assert.notEqual(sc.privileged, true);
          for (const kind of ['requests', 'limits'])
            for (const resource of ['cpu', 'memory'])
              assert.ok(c.resources?.[kind]?.[resource], `${c.name}: resources.${kind}.${resource}`);
        }
      });

      test('probes ask the V2 health routes on the HTTP port the config serves', () => {
        const objects = render(overlay);
        const { inferd } = deploymentParts(objects);
        const config = resolvedConfig(objects);
        const httpPort = (inferd.ports as K8sObject[]).find((p) => p.name === inferd.readinessProbe.httpGet.port);
        assert.equal(httpPort?.containerPort, config.httpPort, 'the probes’ port is the config’s http_port');
        assert.equal(inferd.startupProbe.httpGet.path, '/v2/health/ready');
        assert.equal(inferd.readinessProbe.httpGet.path, '/v2/health/ready');
        assert.equal(inferd.livenessProbe.httpGet.path, '/v2/health/live');
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
          assert.equal(inferd[probe].httpGet.port, inferd.readinessProbe.httpGet.port, probe);
        const metricsPort = (inferd.ports as K8sObject[]).find((p) => p.name === 'metrics');
        assert.equal(metricsPort?.containerPort, config.metricsPort);
      });

      test('preStop and the grace period cover inferd’s shutdown_delay_ms and shutdown_timeout_ms', () => {
        const objects = render(overlay);
        const { pod, inferd } = deploymentParts(objects);
        const config = resolvedConfig(objects);
        const env = Object.fromEntries(((inferd.env ?? []) as K8sObject[]).map((e) => [e.name, e.value]));
        assert.equal(env.INFERD_SHUTDOWN_DELAY_MS, undefined, 'the shutdown settings live in the config file only');
        assert.equal(env.INFERD_SHUTDOWN_TIMEOUT_MS, undefined);
        const preStop = inferd.lifecycle.preStop.sleep.seconds as number;
        assert.ok(preStop > 0, 'a preStop pause lets the endpoints go before SIGTERM');
        assert.ok(config.shutdownDelayMs > 0 && config.shutdownDelayMs < config.shutdownTimeoutMs);
        assert.ok(
          pod.terminationGracePeriodSeconds >= preStop + (config.shutdownDelayMs + config.shutdownTimeoutMs) / 1000,
          `grace ${pod.terminationGracePeriodSeconds} s ≥ preStop ${preStop} s + delay ${config.shutdownDelayMs} ms + timeout ${config.shutdownTimeoutMs} ms`,
        );
      });

      test('the repository is a read-only volume; the state dir and /tmp are emptyDirs; config and keys are mounted', () => {
        const objects = render(overlay);
        const { pod, inferd } = deploymentParts(objects);
        const config = resolvedConfig(objects);
        const mounts = new Map(((inferd.volumeMounts ?? []) as K8sObject[]).map((m) => [m.mountPath, m]));
        const volumes = new Map(((pod.volumes ?? []) as K8sObject[]).map((v) => [v.name, v]));
        const volumeAt = (path: string): K8sObject => {
          const mount = mounts.get(path);
          assert.ok(mount, `something is mounted at ${path}`);
          const volume = volumes.get(mount.name);
          assert.ok(volume, `volume ${mount.name}`);
          return volume;
        };
        if (overlay === 'bucket') {
          // Models from the bucket, pulled into the state directory: no models volume, no claim.
          assert.match(config.modelRepository, /^s3:\/\//);
          assert.equal(mounts.get('/models'), undefined);
          assert.equal(objects.filter((o) => o.kind === 'PersistentVolumeClaim').length, 0);
          assert.equal(config.artifactStore.cacheDir, '/var/lib/inferd/artifacts');
        } else {
          assert.equal(config.modelRepository, '/models');
          assert.equal(mounts.get('/models')?.readOnly, true, 'models read-only');
          const models = volumeAt('/models');
          assert.equal(models.persistentVolumeClaim.readOnly, true);
          const claim = only(objects, 'PersistentVolumeClaim');
          assert.equal(models.persistentVolumeClaim.claimName, claim.metadata.name);
        }

        assert.equal(config.stateDir.path, '/var/lib/inferd');
        const env = Object.fromEntries(((inferd.env ?? []) as K8sObject[]).map((e) => [e.name, e.value]));
        assert.equal(env.INFERD_STATE_DIR ?? config.stateDir.path, config.stateDir.path);
        assert.ok(volumeAt(config.stateDir.path).emptyDir, 'the state dir is an emptyDir');
        assert.ok(volumeAt('/tmp').emptyDir, '/tmp is an emptyDir');

        const args = inferd.args as string[];
        const configPath = args[args.indexOf('--config') + 1];
        assert.ok(args.includes('--config') && configPath);
        assert.equal(volumeAt(configPath).configMap.name, only(objects, 'ConfigMap').metadata.name);

        // Binding 0.0.0.0 passes the server's check because auth is on, with keys from a Secret.
        assert.equal(config.host, '0.0.0.0');
        assert.equal(config.auth.enabled, true);
        const keysFile = config.auth.apiKeysFile;
        assert.ok(keysFile);
        const keysDir = keysFile.slice(0, keysFile.lastIndexOf('/'));
        assert.ok(volumeAt(keysDir).secret?.secretName, 'the API keys come from a Secret');
        assert.equal(mounts.get(keysDir)?.subPath, undefined, 'a directory mount, so a changed Secret is seen');
      });

      test('Service, PDB, NetworkPolicy and ServiceMonitor select exactly the inferd pods', () => {
        const objects = render(overlay);
        const { deployment, inferd } = deploymentParts(objects);
        const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
        assert.ok(matches(deployment.spec.selector.matchLabels, podLabels));
        const service = only(objects, 'Service');
        assert.ok(matches(service.spec.selector, podLabels), 'Service');
        assert.ok(matches(only(objects, 'PodDisruptionBudget').spec.selector.matchLabels, podLabels), 'PDB');
        assert.ok(matches(only(objects, 'NetworkPolicy').spec.podSelector.matchLabels, podLabels), 'NetworkPolicy');
        const monitor = only(objects, 'ServiceMonitor');
        assert.ok(matches(monitor.spec.selector.matchLabels, service.metadata.labels), 'ServiceMonitor');
        const servicePorts = (service.spec.ports as K8sObject[]).map((p) => p.name as string);
        for (const endpoint of monitor.spec.endpoints as K8sObject[]) assert.ok(servicePorts.includes(endpoint.port));
        const containerPorts = (inferd.ports as K8sObject[]).map((p) => p.name as string);
        for (const p of service.spec.ports as K8sObject[]) assert.ok(containerPorts.includes(p.targetPort), p.name);
        // The NetworkPolicy lets the Service's ports in.
        const allowed = (only(objects, 'NetworkPolicy').spec.ingress as K8sObject[]).flatMap((r) =>
          (r.ports as K8sObject[]).map((p) => p.port as number),
        );
        for (const p of service.spec.ports as K8sObject[]) assert.ok(allowed.includes(p.port), `port ${p.port}`);
      });
    });
  }

  test('single: one replica, embedded state, never two pods at once, no autoscaler', () => {
    const objects = render('single');
    const { deployment } = deploymentParts(objects);
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    assert.equal(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0);
    const file = configFile(objects);
    assert.equal(file.state, undefined, 'embedded SQLite state (the default)');
    const config = resolvedConfig(objects);
    assert.deepEqual(config.state, {
      store: 'sqlite',
      path: '/var/lib/inferd/rollouts.db',
      defaultPath: true,
      legacyPath: '/models/.inferd/rollouts.db',
    });
    assert.equal(config.rateStore.kind, 'memory');
  });

  test('replicated: 3 replicas on PostgreSQL state and Redis rate limits, credentials from a Secret, autoscaled', () => {
    const objects = render('replicated');
    const { deployment, inferd } = deploymentParts(objects);
    assert.equal(deployment.spec.replicas, 3);
    const file = configFile(objects) as { state?: { store?: string; url?: string } };
    assert.equal(file.state?.store, 'postgres');
    assert.equal(file.state?.url, undefined, 'no URL (and no password) in the ConfigMap');
    const config = resolvedConfig(objects);
    assert.equal(config.state.store, 'postgres');
    assert.equal(config.state.store === 'postgres' && config.state.url, SECRET_STAND_INS.INFERD_STATE_URL);
    assert.equal(config.rateStore.kind, 'redis');
    assert.equal(config.rateStore.kind === 'redis' && config.rateStore.url, SECRET_STAND_INS.INFERD_REDIS_URL);
    const secretEnv = new Map(
      ((inferd.env ?? []) as K8sObject[])
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => [e.name as string, e.valueFrom.secretKeyRef.name as string]),
    );
    for (const name of ['INFERD_STATE_URL', 'INFERD_REDIS_URL']) assert.ok(secretEnv.get(name), `${name} from a Secret`);

    const hpa = only(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(hpa.spec.minReplicas >= 3 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
    const custom = (hpa.spec.metrics as K8sObject[]).find((m) => m.type === 'Pods');
    assert.equal(custom?.pods.metric.name, 'inferd_inflight_requests');
    const pdb = only(objects, 'PodDisruptionBudget');
    assert.ok(pdb.spec.minAvailable < hpa.spec.minReplicas, 'a drain can always evict one pod');
    const egress = (only(objects, 'NetworkPolicy').spec.egress as K8sObject[]).flatMap((r) =>
      (r.ports as K8sObject[]).map((p) => p.port as number),
    );
    for (const port of [53, 5432, 6379]) assert.ok(egress.includes(port), `egress to ${port}`);
  });
});

describe('models from a bucket', { skip }, () => {
  test('bucket: s3:// repository in poll mode, an IAM role on the service account, egress to HTTPS, no keys', () => {
    const objects = render('bucket');
    const account = only(objects, 'ServiceAccount');
    assert.match(account.metadata.annotations['eks.amazonaws.com/role-arn'] as string, /^arn:aws:iam::\d+:role\//);
    const config = resolvedConfig(objects);
    assert.equal(config.modelControlMode, 'poll');
    assert.equal(config.integrity, 'signed', 'versions verified in the cache before they load');
    const { inferd } = deploymentParts(objects);
    const envNames = ((inferd.env ?? []) as K8sObject[]).map((e) => e.name as string);
    assert.ok(!envNames.some((n) => n.startsWith('AWS_')), 'no AWS keys in the pod spec: the role gives them');
    const egress = (only(objects, 'NetworkPolicy').spec.egress as K8sObject[]).flatMap((r) =>
      (r.ports as K8sObject[]).map((p) => p.port as number),
    );
    assert.ok(egress.includes(443), 'egress to the store');
  });
});

describe('the pod’s config on a started server', { skip }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'inferd-deploy-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('health routes answer without credentials, inference is refused without them, the HPA metric exists', async () => {
    const file = configFile(render('single'));
    const keys = join(scratch, 'keys.yaml');
    writeFileSync(
      keys,
      `keys:\n  - { name: ops, tenant: t, sha256: ${hashApiKey('a-key-of-thirty-two-characters--')}, scopes: [admin, "infer:*"] }\n`,
    );
    const server = await startTestServer({
      repository: MODELS_DIR,
      config: {
        ...file,
        // The pod's settings, on this machine: loopback, free ports, the example models, a scratch state dir.
        host: '127.0.0.1',
        http_port: 0,
        grpc_port: -1,
        metrics_port: 0,
        model_repository: MODELS_DIR,
        state_dir: join(scratch, 'state'),
        auth: { ...file.auth, enabled: true, api_keys_file: keys },
      },
    });
    try {
      assert.equal((await get(`${server.url}/v2/health/ready`)).status, 200);
      assert.equal((await get(`${server.url}/v2/health/live`)).status, 200);
      const refused = await postJson(`${server.url}/v2/models/digits/infer`, { inputs: [] });
      assert.equal(refused.status, 401, refused.text);
      const metrics = await get(server.metricsUrl!);
      assert.match(metrics.text, /^# TYPE inferd_inflight_requests gauge$/m, 'the metric the HPA scales on');
    } finally {
      await server.close();
    }
  });
});

describe('KServe runtime and Dockerfile', () => {
  test('the ClusterServingRuntime serves V2 REST and gRPC on 8080/8081 from /mnt/models', () => {
    const runtime = parse(readFileSync(join(ROOT, 'deploy', 'kserve', 'cluster-serving-runtime.yaml'), 'utf8')) as K8sObject;
    assert.equal(runtime.apiVersion, 'serving.kserve.io/v1alpha1');
    assert.equal(runtime.kind, 'ClusterServingRuntime');
    assert.deepEqual(runtime.spec.protocolVersions, ['v2', 'grpc-v2']);
    assert.ok((runtime.spec.supportedModelFormats as K8sObject[]).some((f) => f.name === 'onnx' && f.autoSelect));
    const [container] = runtime.spec.containers as K8sObject[];
    assert.equal(container.name, 'kserve-container');
    new Container(container as never).validate();
    const args = container.args as string[];
    for (const arg of ['--model-repository=/mnt/models', '--http-port=8080', '--grpc-port=8081', '--host=0.0.0.0'])
      assert.ok(args.includes(arg), arg);
    assert.deepEqual(
      (container.ports as K8sObject[]).map((p) => p.containerPort),
      [8080],
    );
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  });

  test('the Dockerfile builds in stages, runs as a non-root user with a health check, and mounts models', () => {
    const text = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
    const stages = text.split(/^FROM /m).slice(1);
    assert.ok(stages.length >= 2, 'multi-stage');
    const final = stages.at(-1)!;
    assert.match(text, /npm ci --omit=dev/);
    assert.match(final, /^USER 10001/m);
    assert.match(final, /^HEALTHCHECK .*\/v2\/health\/ready/ms);
    assert.match(final, /INFERD_STATE_DIR=\/var\/lib\/inferd/);
    assert.match(final, /INFERD_MODEL_REPOSITORY=\/models/);
    assert.doesNotMatch(final, /apt-get install|COPY .*models/, 'no build tools, no models baked in');
    assert.match(final, /COPY --from=build \/app\/dist\/src/);
  });
});
