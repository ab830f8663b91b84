// A small, safe arithmetic expression of named variables, e.g. an energy "0.5*p^2 + 3*(1-cos(q))".
// mathjs parses the text into a tree; the tree is accepted only if it holds numbers, the given
// variables, the constants pi and e, arithmetic operators, parentheses and calls of a fixed list of
// real functions. Nothing else (assignments, function definitions, objects, strings, matrices,
// property access, units) passes, and nothing is ever run through JavaScript's eval: mathjs
// evaluates the checked tree itself. Values are float64.
import { createRequire } from 'node:module';
import type { MathNode } from 'mathjs';
import { UserError } from './errors.ts';

/** mathjs, loaded on first use (it takes about a second, which commands without an expression should not pay). */
function mathjs(): typeof import('mathjs') {
  return createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
}

/** The functions an expression may call. */
export const EXPRESSION_FUNCTIONS = [
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'sinh',
  'cosh',
  'tanh',
  'exp',
  'log',
  'sqrt',
  'abs',
  'pow',
  'min',
  'max',
] as const;

const CONSTANTS = new Set(['pi', 'e']);
const OPERATORS = new Set(['+', '-', '*', '/', '^']);
const FUNCTIONS = new Set<string>(EXPRESSION_FUNCTIONS);

/** A parsed, checked expression of named variables. */
export interface Expression {
  /** The text as given. */
  text: string;
  /** The variables it uses, in order of first use. */
  variables: string[];
  /** Its value for the variables' values (throws a UserError when it is not a finite real number). */
  evaluate(values: Readonly<Record<string, number>>): number;
}

/** Why a node of the tree is refused, or null when it is allowed. */
function refusal(node: MathNode, allowed: ReadonlySet<string>, parent: MathNode | null): string | null {
  const n = node as MathNode & { op?: string; fn?: string | { name?: string }; name?: string; value?: unknown };
  switch (node.type) {
    case 'ConstantNode':
      return typeof n.value === 'number' ? null : `the constant ${JSON.stringify(n.value)} is not a number`;
    case 'ParenthesisNode':
      return null;
    case 'OperatorNode':
      return OPERATORS.has(String(n.op)) ? null : `the operator "${String(n.op)}" is not allowed (use + - * / ^)`;
    case 'FunctionNode': {
      const name = typeof n.fn === 'object' ? n.fn?.name : undefined;
      return name && FUNCTIONS.has(name) ? null : `"${name ?? '?'}(...)" is not an allowed function (${EXPRESSION_FUNCTIONS.join(', ')})`;
    }
    case 'SymbolNode': {
      // the name of a called function is a SymbolNode under its FunctionNode
      const called = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === node;
      if (called || CONSTANTS.has(n.name ?? '') || allowed.has(n.name ?? '')) return null;
      return `unknown variable "${n.name}" (the variables are ${[...allowed].join(', ')})`;
    }
    default:
      return `${node.type.replace(/Node$/, '').toLowerCase()} expressions are not allowed`;
  }
}

/**
 * Parses `text` as an expression of the `allowed` variables; a UserError names what is wrong and
 * says how to write it (`flag` is the option it came from).
 */
export function parseExpression(text: string, allowed: readonly string[], flag = '--energy'): Expression {
  let tree: MathNode;
  try {
    tree = mathjs().parse(text);
  } catch (e) {
    throw new UserError(`${flag} "${text}" does not parse (${(e as Error).message}); write it like "0.5*p^2 + 3*(1-cos(q))"`);
  }
  const names = new Set(allowed);
  const variables: string[] = [];
  let why: string | null = null;
  tree.traverse((node, _path, parent) => {
    why ??= refusal(node, names, parent);
    const name = (node as { name?: string }).name;
    const called = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === node;
    const isVariable = node.type === 'SymbolNode' && name && names.has(name) && !called;
    if (isVariable && !variables.includes(name)) variables.push(name);
  });
  if (why) throw new UserError(`${flag} "${text}": ${why}`);
  const code = tree.compile();
  return {
    text,
    variables,
    evaluate(values) {
      const scope = new Map<string, number>();
      for (const v of variables) scope.set(v, values[v]);
      const out: unknown = code.evaluate(scope);
      if (typeof out !== 'number' || !Number.isFinite(out))
        throw new UserError(
          `${flag} "${text}" is ${String(out)} at ${describe(values, variables)}; give an expression that is finite there`,
        );
      return out;
    },
  };
}

function describe(values: Readonly<Record<string, number>>, names: string[]): string {
  return names.map((n) => `${n} = ${values[n]}`).join(', ') || 'no variables';
}
