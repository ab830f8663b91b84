// Every export of the package entry point has a doc comment stating its contract, and no two
// exported types share a name (issue 24: two different types were both called StateData).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import ts from 'typescript';

const entry = join(import.meta.dirname, '..', 'src', 'index.ts');

/**
 * Folders whose exports are documented with their rewrite (the ONNX Runtime engine replaces
 * models/, the backend selection src/tf/ and the optimiser src/train/adam.ts on another branch).
 */
const REWRITTEN = ['/models/', '/src/tf/', '/src/train/adam.ts'];

function exportsOf(): { checker: ts.TypeChecker; symbols: ts.Symbol[] } {
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return { checker, symbols: checker.getExportsOfModule(module) };
}

describe('the public API', () => {
  const { checker, symbols } = exportsOf();
  it('every export has a doc comment', () => {
    const missing = symbols
      .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s))
      .filter((s) => !REWRITTEN.some((dir) => s.declarations?.[0]?.getSourceFile().fileName.includes(dir)))
      .filter((s) => s.getDocumentationComment(checker).length === 0 && !(s.declarations ?? []).some((d) => ts.getJSDocTags(d).length > 0))
      .map((s) => s.getName());
    expect(missing).toEqual([]);
  });
  it('exports no two types of one name from different declarations', () => {
    const seen = new Map<string, ts.Declaration | undefined>();
    for (const s of symbols) {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      const decl = target.declarations?.[0];
      if (seen.has(s.getName())) expect(seen.get(s.getName())).toBe(decl);
      seen.set(s.getName(), decl);
    }
    expect(seen.size).toBe(symbols.length);
  });
});
