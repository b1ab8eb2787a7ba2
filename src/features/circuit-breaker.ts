/** The breaker around one feature store: lib's CircuitBreaker (consecutive failures, no rate test). */
export { CircuitBreaker, type BreakerState } from '../lib/circuit-breaker.js';
