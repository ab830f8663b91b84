// The last check before a run is marked finished: its headline numbers must be finite. A NaN here
// means garbage went in (the dataset checks should have caught it), and a metrics.json holding
// null where a number belongs would look finished to every later command.
import { UserError } from '../util/errors.ts';

/** The fields every metrics.json must hold as finite numbers. */
const HEADLINE = ['trainLoss.mean', 'testLoss.mean', 'energyMse.mean'] as const;

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

export function checkMetricsFinite(metrics: object): void {
  for (const path of HEADLINE) {
    const v = at(metrics, path);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new UserError(
        `the evaluation gave ${path} = ${String(v)}, not a finite number; the run is left unfinished (check the dataset for bad values and train again)`,
      );
    }
  }
}
