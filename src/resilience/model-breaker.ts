/**
 * The breaker around one model version: lib's CircuitBreaker with the model config's error-rate window.
 * Outcomes that say nothing about the model (shed under load, features unavailable) are `neutral()`.
 */
export { CircuitBreaker as ModelBreaker, type BreakerState as ModelBreakerState } from '../lib/circuit-breaker.js';
