// The D-HNN's training options on state tasks (docs/DISSIPATIVE.md), one list for every command and
// job that passes them on: `hnn train`, `hnn reproduce`, its jobs and its queued runs.
import type { DissipationDecayScope, DissipationForm, DissipationSchedule } from '../../models/kinds.ts';

export interface DissipationOptions {
  /** The weight decay of D (default the task's, else DISSIPATION_WEIGHT_DECAY). */
  dissipationWeightDecay?: number;
  /** How D's decay runs over training (default DISSIPATION_SCHEDULE). */
  dissipationSchedule?: DissipationSchedule;
  /** The form of D's part of the field (default STATE_DISSIPATION_FORM). */
  dissipationForm?: DissipationForm;
  /** Which of D's variables its decay acts on (default DISSIPATION_DECAY_SCOPE). */
  dissipationDecayOn?: DissipationDecayScope;
}

/** Each option with its command-line flag. */
export const DISSIPATION_FLAGS: Readonly<Record<keyof DissipationOptions, string>> = {
  dissipationWeightDecay: '--dissipation-weight-decay',
  dissipationSchedule: '--dissipation-schedule',
  dissipationForm: '--dissipation-form',
  dissipationDecayOn: '--dissipation-decay-on',
};

const KEYS = Object.keys(DISSIPATION_FLAGS) as Array<keyof DissipationOptions>;

/** The options `o` sets, and nothing else (an unset one keeps its default downstream). */
export function givenDissipationOptions(o: DissipationOptions): DissipationOptions {
  return Object.fromEntries(KEYS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** The flags of the options `o` sets. */
export function givenDissipationFlags(o: DissipationOptions): string[] {
  return KEYS.filter((k) => o[k] !== undefined).map((k) => DISSIPATION_FLAGS[k]);
}
