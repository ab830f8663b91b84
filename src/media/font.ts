// A built-in 5x7 bitmap font for labels burnt into video frames: synchronous, and identical on
// every machine (no system fonts needed, unlike SVG text).

// Printable ASCII 0x20..0x7e; 5 columns per glyph, bit 0 = top row (the classic HD44780-style font).
const GLYPHS =
  '0000000000' +
  '00005f0000' +
  '0007000700' +
  '147f147f14' +
  '242a7f2a12' +
  '2313086462' +
  '3649552250' +
  '0005030000' +
  '001c224100' +
  '0041221c00' +
  '082a1c2a08' +
  '08083e0808' +
  '0050300000' +
  '0808080808' +
  '0060600000' +
  '2010080402' +
  '3e5149453e' +
  '00427f4000' +
  '4261514946' +
  '2141454b31' +
  '1814127f10' +
  '2745454539' +
  '3c4a494930' +
  '0171090503' +
  '3649494936' +
  '064949291e' +
  '0036360000' +
  '0056360000' +
  '0008142241' +
  '1414141414' +
  '4122140800' +
  '0201510906' +
  '324979413e' +
  '7e1111117e' +
  '7f49494936' +
  '3e41414122' +
  '7f4141221c' +
  '7f49494941' +
  '7f09090101' +
  '3e41415132' +
  '7f0808087f' +
  '00417f4100' +
  '2040413f01' +
  '7f08142241' +
  '7f40404040' +
  '7f0204027f' +
  '7f0408107f' +
  '3e4141413e' +
  '7f09090906' +
  '3e4151215e' +
  '7f09192946' +
  '4649494931' +
  '01017f0101' +
  '3f4040403f' +
  '1f2040201f' +
  '7f2018207f' +
  '6314081463' +
  '0304780403' +
  '6151494543' +
  '00007f4141' +
  '0204081020' +
  '41417f0000' +
  '0402010204' +
  '4040404040' +
  '0001020400' +
  '2054545478' +
  '7f48444438' +
  '3844444420' +
  '384444487f' +
  '3854545418' +
  '087e090102' +
  '081454543c' +
  '7f08040478' +
  '00447d4000' +
  '2040443d00' +
  '007f102844' +
  '00417f4000' +
  '7c04180478' +
  '7c08040478' +
  '3844444438' +
  '7c14141408' +
  '081414187c' +
  '7c08040408' +
  '4854545420' +
  '043f444020' +
  '3c4040207c' +
  '1c2040201c' +
  '3c4030403c' +
  '4428102844' +
  '0c5050503c' +
  '4464544c44' +
  '0008364100' +
  '00007f0000' +
  '0041360800' +
  '0201020402';

export const GLYPH_W = 5;
export const GLYPH_H = 7;

function columns(ch: string): number[] {
  let code = ch.charCodeAt(0);
  if (code < 0x20 || code > 0x7e) code = 0x3f; // '?' for anything outside printable ASCII
  const off = (code - 0x20) * 10;
  return [0, 1, 2, 3, 4].map((k) => parseInt(GLYPHS.slice(off + 2 * k, off + 2 * k + 2), 16));
}

/** Width in pixels of `s` drawn at integer `scale` (1 px column gap between glyphs). */
export function textWidth(s: string, scale: number): number {
  return s.length === 0 ? 0 : (s.length * (GLYPH_W + 1) - 1) * scale;
}

/**
 * Draws `s` into an RGB image (row-major, 3 bytes per pixel) with its top-left corner at (x, y);
 * pixels outside the image are clipped.
 */
export function drawText(
  img: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  s: string,
  scale: number,
  rgb: [number, number, number],
): void {
  let cx = x;
  for (const ch of s) {
    const cols = columns(ch);
    for (let c = 0; c < GLYPH_W; c++) {
      for (let r = 0; r < GLYPH_H; r++) {
        if (!((cols[c] >> r) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) {
          const py = y + r * scale + dy;
          if (py < 0 || py >= height) continue;
          for (let dx = 0; dx < scale; dx++) {
            const px = cx + c * scale + dx;
            if (px < 0 || px >= width) continue;
            const i = (py * width + px) * 3;
            img[i] = rgb[0];
            img[i + 1] = rgb[1];
            img[i + 2] = rgb[2];
          }
        }
      }
    }
    cx += (GLYPH_W + 1) * scale;
  }
}
