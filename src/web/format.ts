// What a site made by `hnn web` holds, shared by the builder (Node, ./site.ts) and the page
// (browser, web/): the file layout and site.json, the description the page starts from. Types and
// names only: no `node:` module, no tensors.
import type { LatentMap } from '../eval/pixel.ts';
import type { ModelKind } from '../../models/kinds.ts';

export const SITE_FORMAT = 'hnn-ts/site';
/** The page's description of the site, beside index.html. */
export const SITE_FILE = 'site.json';
/** The first pair of each trial, float32 [trials, 2 N^2 channels], row-major. */
export const PAIRS_FILE = 'data/pairs.bin';

/** The line of index.html that `hnn web` replaces with preload links to the site's data. */
export const PRELOAD_MARK = "<!-- preloads: hnn web lists the site's data here, fetched while the bundle starts -->";

/** Files of the page that `npm run build` writes to dist/web/ besides the bundle's chunks and the wasm binaries. */
export const PAGE_FILES = ['index.html', 'style.css', 'bundle.js'] as const;

/** A pixel model of the site: its artifacts (model.json, weights.bin) and the affine latent -> state map. */
export interface SiteModel {
  kind: ModelKind;
  /** model.json, relative to the site. */
  path: string;
  /** Fitted on the model's training set; maps the latent to the system's state. */
  latentMap: LatentMap;
}

/** A test trial of the dataset: the truth is re-rendered from its initial state (frame 0). */
export interface SiteTrial {
  /** Index among the dataset's test trials. */
  trial: number;
  /** State at frame 0. */
  initial: number[];
  /** The trial's physical parameters (datasets made with --random-params), else null. */
  params: Record<string, number> | null;
}

/** How the dataset's frames were made: the page renders new starts the same way. */
export interface SiteFrames {
  size: number;
  channels: 1 | 3;
  samples: number;
  frameDt: number;
  substeps: number;
  /** Simulation source ('ode', or another the task offers). */
  engine: string;
}

/** A state task the page trains live, with its dataset (the project's own, seed 0). */
export interface SiteStateTask {
  task: string;
  /** JSON file of SiteStateData, relative to the site. */
  path: string;
}

export interface SiteManifest {
  format: typeof SITE_FORMAT;
  generatedBy: string;
  /** The pixel task (registry name): its system's scene, view, energy and sampler. */
  task: string;
  frames: SiteFrames;
  /** Frames of each rollout. */
  rolloutFrames: number;
  models: SiteModel[];
  trials: SiteTrial[];
  /** Where the trials' first pairs are (PAIRS_FILE). */
  pairs: string;
  train: SiteStateTask[];
}

export interface SiteSplit {
  rows: number;
  /** [rows, dim] row-major */
  x: number[];
  /** [rows, dim] row-major: the targets dx/dt */
  dx: number[];
}

export interface SiteStateData {
  task: string;
  seed: number;
  dim: number;
  train: SiteSplit;
  test: SiteSplit;
}
