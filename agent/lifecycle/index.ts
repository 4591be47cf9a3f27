// After the join: status, rotation (renew and the agent), reset.
export { credentialStatus, type StatusOptions } from './status.js';
export { rotate, currentCredential, DEFAULT_ROTATION_TIMEOUT_MS, MIN_EXPIRATION_SECONDS, type RotateOptions, type RotationResult } from './rotate.js';
export { runRotationAgent, type AgentOptions } from './agent-loop.js';
export { planReset, type ResetOptions, type ResetPlan } from './reset.js';
export { clockFromEnv, systemClock, scaledClock, type Clock } from './clock.js';
export { certificateFacts, rotationDeadline, retryDelay, humanDuration, DEFAULT_BACKOFF, type Backoff, type CertificateFacts } from './deadline.js';
export { locateCredential, type InstalledCredential } from '../store/installed.js';
