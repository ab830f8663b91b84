// A Hamiltonian written as an expression in named coordinates and momenta, e.g.
// "(px^2 + py^2)/2 + (x^2 + y^2)/2 + lambda*(x^2*y - y^3/3)": mathjs parses it and differentiates
// it symbolically, and this module compiles H and each dH/dx_i into float64 closures over the state
// (a tree of plain JavaScript functions built from the parsed nodes; the user's text is never
// evaluated as code). Only arithmetic, powers, named parameters, pi, e and the functions in
// FUNCTIONS are accepted; anything else (assignments, matrices, conditionals, unknown names) is a
// UserError naming it. mathjs is loaded on first use (about 1 s): built-in systems never load it.
import { createRequire } from 'node:module';
import type * as MathJs from 'mathjs';
import { UserError } from '../util/errors.ts';
import { didYouMean } from '../util/options.ts';

/** A compiled scalar function of the state x = [q_1..q_k, p_1..p_k]. */
export type StateScalar = (x: Float64Array) => number;

/** H and its exact gradient, compiled; `gradientText` is dH/dx_i as mathjs printed it (manifests, docs). */
export interface CompiledHamiltonian {
  hamiltonian: StateScalar;
  gradient(x: Float64Array, out: Float64Array): void;
  gradientText: string[];
}

type Unary = (a: number) => number;

/** Functions an expression may use: each is a float64 Math function, and mathjs can differentiate it. */
const FUNCTIONS: Readonly<Record<string, Unary>> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sec: (a) => 1 / Math.cos(a),
  csc: (a) => 1 / Math.sin(a),
  cot: (a) => 1 / Math.tan(a),
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  abs: Math.abs,
  square: (a) => a * a,
  cube: (a) => a * a * a,
};

const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

/** Names an expression may not use for coordinates, momenta or parameters. */
export const RESERVED_NAMES: readonly string[] = [...Object.keys(FUNCTIONS), ...Object.keys(CONSTANTS)];

let mathjs: typeof MathJs | null = null;
function math(): typeof MathJs {
  // loaded on first use through require (synchronous, so defineSystem stays synchronous)
  mathjs ??= createRequire(import.meta.url)('mathjs') as typeof MathJs;
  return mathjs;
}

type Compiled = (x: Float64Array) => number;

const BINARY: Readonly<Record<string, (a: Compiled, b: Compiled) => Compiled>> = {
  add: (a, b) => (x) => a(x) + b(x),
  subtract: (a, b) => (x) => a(x) - b(x),
  multiply: (a, b) => (x) => a(x) * b(x),
  divide: (a, b) => (x) => a(x) / b(x),
  pow: (a, b) => (x) => Math.pow(a(x), b(x)),
};

/** Where each name of an expression comes from: a state index or a parameter value. */
export interface Scope {
  index: ReadonlyMap<string, number>;
  params: Readonly<Record<string, number>>;
}

function compileNode(node: MathJs.MathNode, scope: Scope, where: string): Compiled {
  const bad = (what: string) =>
    new UserError(`${where}: ${what} is not allowed; use arithmetic, ^, parameters and ${Object.keys(FUNCTIONS).join(', ')}`);
  switch (node.type) {
    case 'ConstantNode': {
      const v = (node as MathJs.ConstantNode).value as unknown;
      if (typeof v !== 'number') throw bad(`the constant ${JSON.stringify(v)}`);
      return () => v;
    }
    case 'ParenthesisNode':
      return compileNode((node as MathJs.ParenthesisNode).content, scope, where);
    case 'SymbolNode': {
      const name = (node as MathJs.SymbolNode).name;
      const i = scope.index.get(name);
      if (i !== undefined) return (x) => x[i];
      const v = scope.params[name] ?? CONSTANTS[name];
      if (v !== undefined) return () => v;
      const known = [...scope.index.keys(), ...Object.keys(scope.params), ...Object.keys(CONSTANTS)];
      throw new UserError(
        `${where}: unknown name "${name}"${didYouMean(name, known)} (names: ${known.join(', ')}); add it to params or to q/p`,
      );
    }
    case 'OperatorNode': {
      const op = node as MathJs.OperatorNode;
      const args = op.args.map((a) => compileNode(a, scope, where));
      if (op.fn === 'unaryMinus' && args.length === 1) {
        const [a] = args;
        return (x) => -a(x);
      }
      if (op.fn === 'unaryPlus' && args.length === 1) return args[0];
      const make = BINARY[op.fn];
      if (!make || args.length !== 2) throw bad(`the operator "${op.op}"`);
      return make(args[0], args[1]);
    }
    case 'FunctionNode': {
      const f = node as MathJs.FunctionNode;
      const name = f.fn.name;
      const args = f.args.map((a) => compileNode(a, scope, where));
      if (name === 'pow' && args.length === 2) return BINARY.pow(args[0], args[1]);
      const g = FUNCTIONS[name];
      if (!g || args.length !== 1)
        throw bad(
          `the function ${name}(${args.length} argument${args.length === 1 ? '' : 's'})${didYouMean(name, Object.keys(FUNCTIONS))}`,
        );
      const [a] = args;
      return (x) => g(a(x));
    }
    default:
      throw bad(`a ${node.type.replace(/Node$/, '').toLowerCase()} expression`);
  }
}

function parse(text: string, where: string): MathJs.MathNode {
  try {
    return math().parse(text);
  } catch (e) {
    throw new UserError(`${where}: cannot parse "${text}": ${(e as Error).message}`);
  }
}

/**
 * Compiles H (an expression in the names `names`, state order, and the parameters `params`) and
 * its exact gradient. Every name used must be a coordinate, a momentum, a parameter, pi or e.
 */
export function compileHamiltonian(
  text: string,
  names: readonly string[],
  params: Readonly<Record<string, number>> = {},
): CompiledHamiltonian {
  const where = `H = ${text}`;
  const scope: Scope = { index: new Map(names.map((n, i) => [n, i])), params };
  const tree = parse(text, 'H');
  const hamiltonian = compileNode(tree, scope, where);
  const m = math();
  const gradientText: string[] = [];
  const parts = names.map((n) => {
    let d: MathJs.MathNode;
    try {
      d = m.derivative(tree, n);
    } catch (e) {
      throw new UserError(
        `${where}: mathjs cannot differentiate it with respect to ${n} (${(e as Error).message}); give H as a function with its gradient instead`,
      );
    }
    gradientText.push(d.toString());
    return compileNode(d, scope, `dH/d${n} = ${d.toString()}`);
  });
  return {
    hamiltonian,
    gradient(x, out) {
      for (let i = 0; i < parts.length; i++) out[i] = parts[i](x);
    },
    gradientText,
  };
}
