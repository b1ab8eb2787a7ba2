/**
 * Preloaded into a server process (`node --import`) by the process-fault tests: on SIGUSR2 it leaves a promise
 * rejection unhandled, or throws from a timer, as INFERD_TEST_FAULT says ('rejection' or 'exception').
 */
process.on('SIGUSR2', () => {
  if (process.env.INFERD_TEST_FAULT === 'rejection') {
    void Promise.reject(new Error('injected rejection from fault-injector'));
  } else if (process.env.INFERD_TEST_FAULT === 'exception') {
    setTimeout(() => {
      throw new Error('injected exception from fault-injector');
    }, 0);
  }
});
