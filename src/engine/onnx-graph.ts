// A graph under construction: inputs, constants (initializers), nodes and named outputs, with every
// tensor's static shape. ./onnx-ops.ts records a definition's operations into one; `toModel` writes
// it as an ONNX model (./onnx-proto.ts).
import { ATTR, encodeModel, IR_VERSION, ONNX_FLOAT, ONNX_INT64, OPSET, type AttributeMessage, type NodeMessage } from './onnx-proto.ts';

/** A tensor of the graph: its id and static shape (float32 unless made by `int64Constant`). */
export interface Sym {
  readonly id: number;
  readonly shape: readonly number[];
}

export type Attribute = number | number[] | { float: number } | { floats: number[] };

interface Node {
  op: string;
  inputs: number[];
  outputs: number[];
  attrs: Record<string, Attribute>;
}

interface Initializer {
  dataType: number;
  shape: number[];
  bytes: Uint8Array;
}

export class OnnxGraph {
  /**
   * A graph recorded at a nominal batch size that any batch size may run: inputs and outputs whose
   * first dimension is `batch` are written with a symbolic dimension N, and reshapes to a leading
   * `batch` become -1 (exported inference graphs; training graphs are static).
   */
  constructor(readonly dynamicBatch: number | null = null) {}

  private nextId = 0;
  private readonly nodes: Node[] = [];
  private readonly inputs = new Map<number, string>();
  private readonly outputs = new Map<number, string>();
  private readonly initializers = new Map<number, Initializer>();
  private readonly constantCache = new Map<string, Sym>();
  private readonly shapes = new Map<number, readonly number[]>();

  private sym(shape: readonly number[]): Sym {
    const s = { id: this.nextId++, shape: [...shape] };
    this.shapes.set(s.id, s.shape);
    return s;
  }

  /** A float32 input fed at every run. */
  input(name: string, shape: readonly number[]): Sym {
    checkName(name);
    if ([...this.inputs.values()].includes(name)) throw new Error(`graph input ${name} declared twice`);
    const s = this.sym(shape);
    this.inputs.set(s.id, name);
    return s;
  }

  /** Declares `s` as the output `name` (an Identity node where `s` is an input or already named). */
  output(name: string, s: Sym): void {
    checkName(name);
    if ([...this.outputs.values()].includes(name)) throw new Error(`graph output ${name} declared twice`);
    const named = this.inputs.has(s.id) || this.outputs.has(s.id) || this.initializers.has(s.id);
    const out = named ? this.node('Identity', [s], s.shape) : s;
    this.outputs.set(out.id, name);
  }

  /** A float32 constant; equal small constants are shared. */
  constant(values: Float32Array, shape: readonly number[]): Sym {
    const key = values.length <= 64 ? `f${shape.join('x')}:${Array.from(values).join(',')}` : null;
    return this.cached(
      key,
      shape,
      ONNX_FLOAT,
      new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    );
  }

  /** An int64 constant (shapes, axes, pads of the nodes that take them as inputs). */
  int64Constant(values: readonly number[]): Sym {
    const bytes = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    return this.cached(`i:${values.join(',')}`, [values.length], ONNX_INT64, bytes);
  }

  private cached(key: string | null, shape: readonly number[], dataType: number, bytes: Uint8Array): Sym {
    const hit = key === null ? undefined : this.constantCache.get(key);
    if (hit) return hit;
    const s = this.sym(shape);
    this.initializers.set(s.id, { dataType, shape: [...shape], bytes });
    if (key !== null) this.constantCache.set(key, s);
    return s;
  }

  /** Appends a node with one output of the given shape. */
  node(op: string, inputs: readonly Sym[], shape: readonly number[], attrs: Record<string, Attribute> = {}): Sym {
    const out = this.sym(shape);
    this.nodes.push({ op, inputs: inputs.map((s) => s.id), outputs: [out.id], attrs });
    return out;
  }

  /** Nodes the outputs depend on (the bench reports it per step). */
  get nodeCount(): number {
    return this.liveNodes().length;
  }

  /**
   * The nodes the outputs depend on, in recorded order: a node none of whose outputs reaches a graph
   * output is left out of the model (ONNX Runtime would run it anyway), so a graph that outputs only
   * a definition's loss terms runs its forward pass alone.
   */
  private liveNodes(): Node[] {
    const needed = new Set(this.outputs.keys());
    const live: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (!n.outputs.some((id) => needed.has(id))) continue;
      live.push(n);
      for (const id of n.inputs) needed.add(id);
    }
    return live.reverse();
  }

  /**
   * Multiply-add FLOPs of the graph's products (MatMul, Gemm, Conv, ConvTranspose: 2 per multiply),
   * the work the bench divides by a step's time.
   */
  productFlops(): number {
    let flops = 0;
    for (const n of this.liveNodes()) {
      const [a, b] = n.inputs.map((id) => this.shapes.get(id)!);
      const out = this.shapes.get(n.outputs[0])!;
      const outSize = out.reduce((x, y) => x * y, 1);
      if (n.op === 'MatMul') flops += 2 * outSize * a[a.length - 1];
      else if (n.op === 'Gemm') flops += 2 * outSize * (n.attrs.transA === 1 ? a[0] : a[1]);
      else if (n.op === 'Conv') flops += 2 * outSize * b[1] * b[2] * b[3];
      else if (n.op === 'ConvTranspose') flops += 2 * a.reduce((x, y) => x * y, 1) * b[1] * b[2] * b[3];
    }
    return flops;
  }

  get inputNames(): string[] {
    return [...this.inputs.values()];
  }

  get outputNames(): string[] {
    return [...this.outputs.values()];
  }

  /** Shape of the input or output called `name`. */
  shapeOf(name: string): readonly number[] {
    for (const map of [this.inputs, this.outputs]) for (const [id, n] of map) if (n === name) return this.shapes.get(id)!;
    throw new Error(`the graph has no input or output ${name}`);
  }

  private nameOf(id: number): string {
    return this.inputs.get(id) ?? this.outputs.get(id) ?? `_${id}`;
  }

  /** The graph as an .onnx file's bytes. */
  toModel(name: string, doc = ''): Uint8Array {
    const dim = (d: number, i: number) => (i === 0 && d === this.dynamicBatch ? { dimParam: 'N' } : { dimValue: d });
    const valueInfo = (id: number) => ({
      name: this.nameOf(id),
      type: { tensorType: { elemType: ONNX_FLOAT, shape: { dim: this.shapes.get(id)!.map(dim) } } },
    });
    const nodes = this.liveNodes();
    const node: NodeMessage[] = nodes.map((n, i) => ({
      name: `${n.op}_${i}`,
      opType: n.op,
      input: n.inputs.map((id) => this.nameOf(id)),
      output: n.outputs.map((id) => this.nameOf(id)),
      attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
    }));
    // constants no node reads (a pass may make more than the graph uses) are left out
    const used = new Set([...nodes.flatMap((n) => n.inputs), ...this.outputs.keys()]);
    const initializer = [...this.initializers]
      .filter(([id]) => used.has(id))
      .map(([id, t]) => ({ name: this.nameOf(id), dims: t.shape, dataType: t.dataType, rawData: t.bytes }));
    return encodeModel({
      irVersion: IR_VERSION,
      producerName: 'hnn-ts',
      producerVersion: '1',
      docString: doc,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name, node, initializer, input: [...this.inputs.keys()].map(valueInfo), output: [...this.outputs.keys()].map(valueInfo) },
    });
  }
}

/** Input and output names: the graph's own tensors are named _<id>, which they must not shadow. */
function checkName(name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
    throw new Error(`graph input/output name "${name}" must start with a letter (names _<n> are the graph's own)`);
}

function attribute(name: string, v: Attribute): AttributeMessage {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.FLOATS, floats: v.floats };
}
