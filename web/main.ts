// The page of `hnn web`: starts the backend, loads the site (models, trials, maps), rolls out the
// first test trial and draws it, then runs one animation loop for the Play and Train views. What
// the tests read or drive is on window.hnn (test/browser.test.ts).
import { PAGE_BACKENDS, startBackend, type PageBackend } from './backend.ts';
import { PixelModel } from '../models/pixel.ts';
import type { EpisodeSetup } from './episode.ts';
import { pageElements } from './elements.ts';
import { decodeSite, fetchSite, type LoadedSite } from './load.ts';
import { PlayView } from './play.ts';
import { TRAIN_TAGS, TrainView } from './train-view.ts';
import type { ModelKind } from '../models/kinds.ts';
import { defaultRolloutIntegrator } from '../src/eval/integrators.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Float32 values as base64 (a test reads frames without a JSON array of 10^5 numbers). */
function base64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export interface PageApi {
  /** Everything started: rollouts playing, the training view set up. */
  ready: boolean;
  /** ms from navigation start to the first frame drawn with the models loaded. */
  readyMs: number | null;
  /** ms from navigation start to the whole rollouts computed (the player starts). */
  rolledMs: number | null;
  error: string | null;
  /** ms from navigation start at each stage of the start-up. */
  marks: Record<string, number>;
  backend: string;
  backendNote: string | null;
  task: string;
  play: PlayView;
  train: TrainView;
  /** The current episode's frames: 'truth' or a model's decoded first frames, base64 float32. */
  frames(panel: 'truth' | ModelKind): string;
  /** The pair the models encoded, base64 float32. */
  pair(): string;
  /** Counts animation ticks for `ms` while playing: ticks per second and mean ms per draw. */
  measureFps(ms: number): Promise<{ fps: number; drawMs: number }>;
}

/**
 * Starts the page: the backend (while the site's files download), the Play view with the first
 * trial drawn before its whole rollouts run, then the Train view and the animation loop. Each
 * stage's time goes into api.marks; api.ready turns true once everything has started.
 */
async function boot(api: Partial<PageApi>): Promise<void> {
  const wanted = backendChoice();
  const base = new URL('.', location.href).href;
  const marks: Record<string, number> = { script: performance.now() };
  api.marks = marks;
  const fetched = fetchSite(base);
  void fetched.then(() => (marks.fetched = performance.now()));
  fetched.catch(() => {}); // its failure is reported where it is awaited, after the backend starts
  const backend = await startBackend(wanted, base);
  api.backend = backend.name;
  api.backendNote = backend.note;
  $('backend-note').textContent = backend.note ?? '';

  marks.backend = performance.now();
  const site = decodeSite(await fetched);
  marks.loaded = performance.now();
  api.task = site.task.name;
  document.title = `HNN: ${site.task.name}`;
  $('title').textContent = `Hamiltonian Neural Networks: ${site.task.description}`;
  const play = playView(site);
  marks.models = performance.now();
  play.preview(0);
  api.readyMs = marks.drawn = performance.now();
  // the first frame is painted before the whole rollouts take the thread
  await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0)));
  play.showTrial(0);
  const speed = $<HTMLSelectElement>('speed');
  play.tick(performance.now(), Number(speed.value));
  api.play = play;
  api.rolledMs = marks.rolled = performance.now();
  $('status').textContent =
    `${site.models.map((m) => m.topology.kind).join(' and ')} on ${backend.name}: ` +
    `first frame in ${(api.readyMs / 1000).toFixed(2)} s, whole rollouts in ${(api.rolledMs / 1000).toFixed(2)} s`;

  const train = trainView(base, site);
  api.train = train;
  exposeProbes(api, play);
  const loop = (now: number) => {
    play.tick(now, Number(speed.value));
    train.tick(now);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  // the state data load after the first frame: they are not needed to watch
  await train.select(site.manifest.train[0].task, 'hnn');
  api.ready = true;
}

/**
 * The backend the URL's ?backend= asks for (wasm when absent or unknown), shown in the backend
 * menu; choosing another reloads the page with it.
 */
function backendChoice(): PageBackend {
  const params = new URLSearchParams(location.search);
  const wanted = (params.get('backend') ?? 'wasm') as PageBackend;
  const backendSelect = $<HTMLSelectElement>('backend');
  for (const b of PAGE_BACKENDS) backendSelect.add(new Option(b, b));
  backendSelect.value = PAGE_BACKENDS.includes(wanted) ? wanted : 'wasm';
  backendSelect.onchange = () => {
    params.set('backend', backendSelect.value);
    location.search = params.toString();
  };
  return PAGE_BACKENDS.includes(wanted) ? wanted : 'wasm';
}

/** The Play view on the site's models and test trials, bound to its page elements. */
function playView(site: LoadedSite): PlayView {
  const setup: EpisodeSetup = {
    task: site.task,
    frames: site.manifest.frames,
    rolloutFrames: site.manifest.rolloutFrames,
    // as the models' evaluation rolled them out (the first model's latent step decides for the page)
    integrator: defaultRolloutIntegrator(site.models[0]!.topology.loss.latentStep),
    models: site.models.map((m) => ({
      kind: m.topology.kind,
      codec: PixelModel.fromWeights(m.topology, m.weights),
      weights: m.weights,
      map: m.site.latentMap,
    })),
  };
  return new PlayView(setup, site.manifest.trials, site.pairs, {
    panels: $('panels'),
    energy: $('energy'),
    phase: $('phase'),
    play: $('play'),
    back: $('back'),
    forward: $('forward'),
    slider: $('slider'),
    counter: $('counter'),
    speed: $('speed'),
    trial: $('trial'),
    integrator: Object.assign($<HTMLSelectElement>('integrator'), { value: setup.integrator }),
    release: $('release'),
    note: $('play-note'),
  });
}

/** The Train view on the site's state-model tasks, bound to its page elements. */
function trainView(base: string, site: LoadedSite): TrainView {
  const elements = pageElements(TRAIN_TAGS, (role) => `train-${role}`);
  return new TrainView(base, site.manifest.train, elements);
}

/** What the browser tests read from the Play view: the current episode's frames and pair, and a frame-rate probe. */
function exposeProbes(api: Partial<PageApi>, play: PlayView): void {
  api.frames = (panel) => base64(panel === 'truth' ? play.episode.truthFrames : play.episode.rollouts[panel]!.frames);
  api.pair = () => base64(play.episode.pair);
  api.measureFps = async (ms) => {
    play.setPlaying(true);
    const start = { ...play.ticks };
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const ticks = play.ticks.count - start.count;
    return { fps: (1000 * ticks) / (performance.now() - t0), drawMs: (play.ticks.drawMs - start.drawMs) / Math.max(1, ticks) };
  };
}

const api: Partial<PageApi> = { ready: false, readyMs: null, rolledMs: null, error: null };
(window as unknown as { hnn: Partial<PageApi> }).hnn = api;
boot(api).catch((e: Error) => {
  api.error = e.message;
  $('status').textContent = `error: ${e.message}`;
  console.error(e);
});
