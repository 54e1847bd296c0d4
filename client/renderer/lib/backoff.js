// Reconnect delays: exponential growth with "equal jitter", so that thousands of clients
// dropped by one server restart do not come back in the same millisecond, while each
// still waits at least half of its step (pure jitter could retry at once, in a tight loop).

/** Delay in ms before reconnect attempt number `attempt` (0 = first retry). */
export function backoffDelay(attempt, { base = 500, max = 15000, random = Math.random } = {}) {
  const step = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}
