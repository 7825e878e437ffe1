// CPU-heavy image work, run in worker threads by the Pool (never on the
// server's event loop). Images are binary PGM (grayscale) byte arrays.

/** Header + pixels of a binary PGM image. */
function pgm(width, height, pixels) {
  const header = new TextEncoder().encode(`P5\n${width} ${height}\n255\n`);
  const out = new Uint8Array(header.length + pixels.length);
  out.set(header);
  out.set(pixels, header.length);
  return out;
}

/** Parses a binary PGM: { width, height, pixels }. */
export function parsePgm(bytes) {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 64)));
  const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(text);
  if (!m) throw new Error('not a binary 8-bit PGM image');
  const width = Number(m[1]);
  const height = Number(m[2]);
  const pixels = bytes.subarray(m[0].length, m[0].length + width * height);
  if (pixels.length !== width * height) throw new Error('truncated PGM image');
  return { width, height, pixels };
}

/** Renders the Mandelbrot set as a size×size PGM. */
export function mandelbrot(size, maxIter = 256) {
  const pixels = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cr = (x / size) * 3 - 2.2;
      const ci = (y / size) * 3 - 1.5;
      let zr = 0;
      let zi = 0;
      let i = 0;
      while (i < maxIter && zr * zr + zi * zi < 4) {
        const t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        i++;
      }
      pixels[y * size + x] = i === maxIter ? 0 : 255 - Math.floor((i * 255) / maxIter);
    }
  }
  return pgm(size, size, pixels);
}

/** Box blur of a PGM image with the given radius. */
export function blur(bytes, radius = 2) {
  const { width, height, pixels } = parsePgm(bytes);
  const out = new Uint8Array(pixels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -radius; dx <= radius; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          sum += pixels[yy * width + xx];
          n++;
        }
      }
      out[y * width + x] = Math.round(sum / n);
    }
  }
  return pgm(width, height, out);
}
