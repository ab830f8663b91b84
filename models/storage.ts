// Saving and loading trained models in folders (model.json + weights.bin, ./io.ts): the file-system
// edge of the models, kept apart so that the models themselves bundle for the browser.
import { UserError } from '../src/util/errors.ts';
import { DynamicsModel, STATE_MODEL_FORMAT, type DynamicsSpec } from './dynamics.ts';
import { checkDissipationForm, DISSIPATION_FORM, MODEL_KINDS } from './kinds.ts';
import type { NamedWeights } from './mlp.ts';
import { loadArtifacts, saveArtifacts } from './io.ts';
import { PIXEL_MODEL_FORMAT, PixelModel, type PixelLossConfig, type PixelTopology } from './pixel.ts';

export async function saveDynamicsModel(dir: string, model: DynamicsModel, metadata: Record<string, unknown> = {}): Promise<void> {
  // a D-HNN records its form: the spec's, or 'momenta' (the form a spec without one computes)
  const topology =
    model.spec.kind === 'dhnn' ? { ...model.spec, dissipation: model.spec.dissipation ?? DISSIPATION_FORM.dissipation } : model.spec;
  await saveArtifacts(dir, STATE_MODEL_FORMAT, { topology, weights: model.read(), metadata });
}

export function loadDynamicsModel(dir: string): { model: DynamicsModel; weights: NamedWeights; metadata: Record<string, unknown> } {
  const art = loadArtifacts<DynamicsSpec>(dir, STATE_MODEL_FORMAT);
  checkDissipationForm(art.topology, dir);
  return { model: DynamicsModel.fromWeights(art.topology, art.weights), weights: art.weights, metadata: art.metadata };
}

export async function savePixelModel(
  dir: string,
  model: PixelModel,
  loss: PixelLossConfig,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const topology: PixelTopology = { ...model.spec, ...(model.spec.kind === 'dhnn' ? DISSIPATION_FORM : {}), loss };
  await saveArtifacts(dir, PIXEL_MODEL_FORMAT, { topology, weights: model.read(), metadata });
}

export interface LoadedPixelModel {
  model: PixelModel;
  topology: PixelTopology;
  weights: NamedWeights;
  metadata: Record<string, unknown>;
}

export function loadPixelModel(dir: string): LoadedPixelModel {
  const art = loadArtifacts<PixelTopology>(dir, PIXEL_MODEL_FORMAT);
  const t = art.topology;
  if (!t || !MODEL_KINDS.includes(t.kind) || !Number.isInteger(t.frameSize)) {
    throw new UserError(`${dir}/model.json has no valid pixel-model topology; retrain it with \`hnn train --task pixel-pendulum\``);
  }
  checkDissipationForm(t, dir);
  try {
    return { model: PixelModel.fromWeights(t, art.weights), topology: t, weights: art.weights, metadata: art.metadata };
  } catch (e) {
    throw new UserError(`${dir}: weights do not match the topology (${(e as Error).message}); retrain the model`);
  }
}
