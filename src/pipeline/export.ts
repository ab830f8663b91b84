// `hnn export`: a trained model (state or pixel) as ONNX files any ONNX runtime loads (models/export.ts),
// written into a folder of their own with export.json describing each file's input and output.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dynamicsGraphs, pixelGraphs, type ExportedGraph } from '../../models/export.ts';
import type { DynamicsSpec } from '../../models/dynamics.ts';
import { STATE_MODEL_FORMAT } from '../../models/dynamics.ts';
import { loadArtifacts, modelFolder } from '../../models/io.ts';
import { checkDissipationForm } from '../../models/kinds.ts';
import { PIXEL_MODEL_FORMAT, pixelInputSize, type PixelTopology } from '../../models/pixel.ts';
import { UserError } from '../util/errors.ts';
import { makeDir, writeFileAtomic, writeJsonAtomic } from '../util/files.ts';
import { claimOutput, markOutput, partialPathFor, publishFolder } from '../util/output.ts';
import { OPSET } from '../engine/onnx-proto.ts';

export interface ExportResult {
  dir: string;
  files: Array<Omit<ExportedGraph, 'bytes'> & { bytes: number }>;
}

/** The graphs of the model saved in `given` (its format says whether it is a state or a pixel model). */
export function exportGraphs(given: string): { format: string; graphs: ExportedGraph[]; modelDir: string } {
  const modelDir = modelFolder(given);
  if (!modelDir)
    throw new UserError(
      `no model found at ${given} (neither model.json nor model/model.json); give --model a run's folder or its model/ folder`,
    );
  const jsonPath = join(modelDir, 'model.json');
  const format = (JSON.parse(readFileSync(jsonPath, 'utf8')) as { format?: string }).format;
  if (format === STATE_MODEL_FORMAT) {
    const art = loadArtifacts<DynamicsSpec>(modelDir, STATE_MODEL_FORMAT);
    checkDissipationForm(art.topology, modelDir);
    return { format, graphs: dynamicsGraphs(art.topology, art.weights), modelDir };
  }
  if (format === PIXEL_MODEL_FORMAT) {
    const art = loadArtifacts<PixelTopology>(modelDir, PIXEL_MODEL_FORMAT);
    checkDissipationForm(art.topology, modelDir);
    return { format, graphs: pixelGraphs(art.topology, pixelInputSize(art.topology), art.weights), modelDir };
  }
  throw new UserError(
    `${jsonPath} holds a "${String(format)}" model, not a state or pixel model of hnn-ts; give --model a run's model/ folder`,
  );
}

/** Writes every graph of the model into `out` (published whole: a killed export leaves no half folder). */
export function runExport(o: { modelDir: string; out: string; force?: boolean }): ExportResult {
  const { format, graphs, modelDir } = exportGraphs(resolve(o.modelDir));
  const claim = claimOutput(o.out, 'export', 'hnn export');
  const partial = partialPathFor(claim.dir);
  try {
    if (claim.before.state === 'ours' && !o.force)
      throw new UserError(`${claim.dir} already holds exported models; choose another --out or pass --force to replace them`);
    if (existsSync(partial)) rmSync(partial, { recursive: true, force: true });
    makeDir(partial);
    markOutput(partial, 'export', { command: 'hnn export', model: modelDir });
    for (const g of graphs) writeFileAtomic(join(partial, g.file), g.bytes);
    const files = graphs.map(({ bytes, ...rest }) => ({ ...rest, bytes: bytes.byteLength }));
    writeJsonAtomic(join(partial, 'export.json'), { model: modelDir, format, opset: OPSET, files });
    publishFolder(partial, claim.dir);
    return { dir: claim.dir, files };
  } finally {
    if (existsSync(partial)) rmSync(partial, { recursive: true, force: true });
    claim.release();
  }
}
