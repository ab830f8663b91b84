// Tasks for a user's own system in a few lines, with every option validated (./schema.ts).
//
// defineStateTask: the paper's state protocol (docs/PROTOCOLS.md, task 1) with whatever the user
// changes. Defaults: 50 trajectories on t in [0, 3] (30 points), noise 0.1, half train; 2000
// full-batch steps, weight decay 1e-4; energy MSE from 15 states of the box +-[0.2, 1) over t in
// [0, 20] (energy.states 'sampler' draws them from the system's sampler instead).
//
// definePixelTask: the pixel protocol (pixelTaskDefaults, ./defaults.ts) on frames of the system
// drawn by its own scene, or by the default scene (src/systems/default-scene.ts) in a view fitted to
// where 16 sampled trajectories go. Defaults: 200 trials of 103 frames of 28 x 28, 0.1 time units apart.
import { FIXED_STEP_INTEGRATORS } from '../integrate/index.ts';
import { FAILURE_WORDS, IntegrationError } from '../integrate/errors.ts';
import { formatState } from '../systems/check.ts';
import { buildSystem, type System } from '../systems/system.ts';
import { defaultLayout, defaultScene, fitView, layoutProblem, type SceneLayout } from '../systems/default-scene.ts';
import { UserError } from '../util/errors.ts';
import { parseOptions } from '../util/options.ts';
import { Rng } from '../util/rng.ts';
import { stateTaskOptionsSchema, pixelTaskOptionsSchema, type PixelTaskOptions, type StateTaskOptions } from './schema.ts';
import { PAPER_STATE_ENERGY, paperStateData, pixelTaskDefaults, STATE_TRAIN_DEFAULTS } from './defaults.ts';
import type { PixelData, PixelTask, StateTask, StateTrainProtocol } from './task.ts';

export type { StateTaskOptions, PixelTaskOptions } from './schema.ts';

/**
 * A state task for `system`: the paper's state protocol with the options given (see the header for
 * the defaults). Every option is validated: an unknown key (e.g. `train.step`) is a UserError with a
 * "did you mean", and so is a value out of range (e.g. `steps: -5`). The system needs a sampler
 * (`sample` or `sampler`) for its dataset.
 */
export function defineStateTask(system: System, options: StateTaskOptions = {}): StateTask {
  const o = parseOptions(stateTaskOptionsSchema, options, 'defineStateTask options');
  const train: StateTrainProtocol = { ...STATE_TRAIN_DEFAULTS, ...o.train };
  return {
    kind: 'state',
    name: o.name ?? system.name,
    suites: [],
    description: o.description ?? system.description,
    system,
    // the paper's protocol drawn from the project's Rng (numpy's legacy stream replays the reference's
    // own tasks only), energy rollouts at the data's tolerance
    data: { ...paperStateData(30), randomSource: 'rng', ...o.data },
    train,
    energy: { ...PAPER_STATE_ENERGY, rtol: 1e-10, atol: 1e-10, ...o.energy },
    quick: { steps: o.quickSteps ?? Math.max(1, Math.round(train.steps / 5)) },
    ...(o.dissipationWeightDecay !== undefined ? { dissipationWeightDecay: o.dissipationWeightDecay } : {}),
  };
}

/** Trajectories whose positions fit the default view. */
const VIEW_TRIALS = 16;

/** The system drawn by the default scene, in a view that holds `VIEW_TRIALS` sampled trials of `data`. */
function withDefaultScene(system: System, layout: SceneLayout, data: Pick<PixelData, 'frames' | 'frameDt' | 'substeps'>): System {
  const problem = layoutProblem(layout, system.dof);
  if (problem) throw new UserError(`system ${system.name}: ${problem}; give the system a scene and a view of its own`);
  const rng = new Rng(0).fork('view');
  const steps = data.frames * data.substeps;
  const states: Float64Array[] = [];
  for (let i = 0; i < VIEW_TRIALS; i++) {
    const x0 = system.sampleInitial(rng);
    try {
      states.push(FIXED_STEP_INTEGRATORS.rk4.integrateFixed(system.field, x0, 0, data.frameDt / data.substeps, steps));
    } catch (e) {
      if (!(e instanceof IntegrationError)) throw e;
      throw new UserError(
        `system ${system.name}: the default scene fits its view to ${VIEW_TRIALS} sampled trials, and trial ${i}, from ${formatState(x0, system.stateLabels)}, stopped at t = ${e.t.toPrecision(4)} (${FAILURE_WORDS[e.reason]}); keep the sampler's states away from singularities, give the system a view and scene of its own, or set pixel: false for no pixel task`,
      );
    }
  }
  const all = new Float64Array(states.reduce((n, s) => n + s.length, 0));
  states.reduce((at, s) => (all.set(s, at), at + s.length), 0);
  const view = system.view ?? fitView(layout, system.dof, all);
  const {
    field: _f,
    fieldInto: _fi,
    energy: _e,
    sampleInitial,
    withFriction: _w,
    dim: _d,
    dof: _k,
    conservative: _c,
    stateLabels: _l,
    ...def
  } = system;
  return buildSystem({ ...def, sample: (r) => sampleInitial(r), view, scene: defaultScene(layout, system.dof, view) });
}

/**
 * A pixel task for `system` (see the header for the defaults). A system without a scene is drawn
 * by the default one: `scene: 'plane'` (one disc per coordinate pair) or `'line'` (one disc per
 * coordinate on a track); the default layout is 'plane' for 2 or 4 coordinates, 'line' for 1.
 * Options are validated as defineStateTask's.
 */
export function definePixelTask(system: System, options: PixelTaskOptions = {}): PixelTask {
  const o = parseOptions(pixelTaskOptionsSchema, options, 'definePixelTask options');
  const d = { ...pixelTaskDefaults.data, ...o.data };
  const drawn = system.scene && system.view ? system : withDefaultScene(system, o.scene ?? defaultLayout(system.dof), d);
  const train = { ...pixelTaskDefaults.train, ...o.train };
  return {
    kind: 'pixel',
    name: o.name ?? `pixel-${system.name}`,
    suites: [],
    description: o.description ?? `${system.description}, from ${d.size}x${d.size} frames ${d.frameDt} apart`,
    system: drawn,
    data: {
      ...d,
      sample: (rng) => drawn.sampleInitial(rng),
      sampling: { initialStates: `the sampler of system ${system.name}` },
    },
    train,
    evaluation: { ...pixelTaskDefaults.evaluation, ...o.evaluation },
    quick: { steps: o.quickSteps ?? pixelTaskDefaults.quick.steps },
  };
}
