// Loading a site over HTTP: site.json, each model's artifacts through the project's own parser
// (models/artifacts.ts, the same code that reads them from disk in Node), the trials' first pairs,
// and the state datasets the page trains on (fetched when first needed). Fetching and decoding are
// apart so the files can arrive while the backend starts.
import { decodeArtifacts, parseModelJson, weightsPath, type ModelJson } from '../models/artifacts.ts';
import type { NamedWeights } from '../models/mlp.ts';

import { checkDissipationForm } from '../models/kinds.ts';
import { getPixelTask } from '../src/tasks/registry.ts';
import type { PixelTask } from '../src/tasks/task.ts';
import { SITE_FILE, SITE_FORMAT, type SiteManifest, type SiteModel, type SiteStateData } from '../src/web/format.ts';
import { PIXEL_MODEL_FORMAT, type PixelTopology } from '../models/pixel.ts';

export interface LoadedModel {
  site: SiteModel;
  topology: PixelTopology;
  weights: NamedWeights;
}

export interface LoadedSite {
  base: string;
  manifest: SiteManifest;
  task: PixelTask;
  models: LoadedModel[];
  /** First pair of each trial, [trials, 2 N^2 channels]. */
  pairs: Float32Array;
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

/** A model's two files, fetched; decoded once the backend runs. */
async function fetchModel(
  base: string,
  m: SiteModel,
): Promise<{ m: SiteModel; jsonUrl: string; json: ModelJson<PixelTopology>; binUrl: string; bin: ArrayBuffer }> {
  const jsonUrl = new URL(m.path, base).href;
  const json = parseModelJson<PixelTopology>(await (await fetchOk(jsonUrl)).text(), PIXEL_MODEL_FORMAT, jsonUrl);
  const binUrl = new URL(weightsPath(json), jsonUrl).href;
  return { m, jsonUrl, json, binUrl, bin: await (await fetchOk(binUrl)).arrayBuffer() };
}

export interface FetchedSite {
  base: string;
  manifest: SiteManifest;
  models: Array<Awaited<ReturnType<typeof fetchModel>>>;
  pairs: Float32Array;
}

/** The site's files over HTTP, in parallel (no tensors yet: this may run while the backend starts). */
export async function fetchSite(base: string): Promise<FetchedSite> {
  const manifest = (await (await fetchOk(new URL(SITE_FILE, base).href)).json()) as SiteManifest;
  if (manifest.format !== SITE_FORMAT) throw new Error(`${SITE_FILE} is not a site of hnn web (format "${manifest.format}")`);
  const [models, pairs] = await Promise.all([
    Promise.all(manifest.models.map((m) => fetchModel(base, m))),
    fetchOk(new URL(manifest.pairs, base).href).then(async (r) => new Float32Array(await r.arrayBuffer())),
  ]);
  return { base, manifest, models, pairs };
}

/** The fetched site with its models decoded (tf.io.decodeWeights: a backend must be running). */
export function decodeSite(f: FetchedSite): LoadedSite {
  const models = f.models.map(({ m, jsonUrl, json, binUrl, bin }) => {
    const art = decodeArtifacts(json, bin, binUrl);
    if (art.topology.kind !== m.kind) throw new Error(`${jsonUrl} holds a ${art.topology.kind} model, listed as the ${m.kind}`);
    checkDissipationForm(art.topology, jsonUrl);
    return { site: m, topology: art.topology, weights: art.weights };
  });
  return { base: f.base, manifest: f.manifest, task: getPixelTask(f.manifest.task), models, pairs: f.pairs };
}

export async function loadStateData(base: string, path: string): Promise<SiteStateData> {
  return (await (await fetchOk(new URL(path, base).href)).json()) as SiteStateData;
}
