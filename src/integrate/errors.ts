// Typed integration failures: a caller can tell a solution that blew up (non-finite values), one
// that needs more steps than allowed, and one whose step size collapsed (a singularity).

export type IntegrationFailure = 'non-finite' | 'step-limit' | 'step-too-small';

/** An integration that stopped before the end: why (`reason`) and when (`t`). */
export class IntegrationError extends Error {
  constructor(
    readonly reason: IntegrationFailure,
    message: string,
    /** Time reached when the integrator stopped. */
    readonly t: number,
  ) {
    super(message);
    this.name = 'IntegrationError';
  }
}

/** Why an integration stopped, in words for a user's message. */
export const FAILURE_WORDS: Record<IntegrationFailure, string> = {
  'step-too-small': 'the step size collapsed: a singularity',
  'non-finite': 'the state became infinite or NaN',
  'step-limit': 'it needed more steps than allowed',
};

/** Index of the first non-finite component, or -1. */
export function firstNonFiniteIndex(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}
