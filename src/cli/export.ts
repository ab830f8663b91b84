// `hnn export --model DIR --out DIR`: a trained model as ONNX files (src/pipeline/export.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("write a trained model as ONNX files any ONNX runtime loads: H(x), the field, D(x); a pixel model's encoder and decoder")
    .requiredOption('--model <dir>', "a trained model's folder (a run's model/)")
    .requiredOption('--out <dir>', 'a new or empty folder for the .onnx files and export.json')
    .option('--force', 'replace earlier exported models in --out')
    .action(async (o: { model: string; out: string; force?: boolean }) => {
      const { runExport } = await import('../pipeline/export.ts');
      const r = runExport({ modelDir: resolve(o.model), out: resolve(o.out), force: o.force });
      for (const f of r.files)
        console.log(
          `${f.file}: ${f.input.name} [${f.input.shape.join(', ')}] -> ${f.output.name} [${f.output.shape.join(', ')}] (${f.description})`,
        );
      console.log(`wrote ${r.files.length} ONNX files and export.json to ${r.dir}`);
    });
}
