/** `pack`: lossless WebP/PNG tiling of quantized latents (transforms/pack.ts). */
import { DEFAULT_PNG_LEVEL, DEFAULT_WEBP_EFFORT, pack, type PackOptions, type PlaneCount } from '../transforms/pack.js';
import { defineFilter } from './definition.js';

export const packFilter = defineFilter({
  name: 'pack',
  description: 'tile quantized latents into one lossless WebP or PNG image',
  inputs: [{ name: 'default', kinds: ['qlatent'] }],
  outputs: [{ name: 'default', kinds: ['packed'] }],
  options: {
    format: { type: 'enum', choices: ['webp', 'png'], default: 'webp', help: 'lossless image format (PNG is used anyway when a side would exceed 16383 px)' },
    bits: { type: 'int', min: 2, max: 8, auto: "the frame's bits, else 8", help: 'latent bits b' },
    planes: { type: 'enum', choices: ['1', '3', '4'], auto: 'the count that wastes the fewest padding channels', help: 'colour planes: 1 grey, 3 RGB, 4 RGBA' },
    tiles: { type: 'int', min: 1, max: 256, auto: 'the smallest grid that fits', help: 'tile grid side n' },
    row_width: { type: 'int', min: 1, max: 16383, auto: '256 (or the latent length when shorter)', help: 'row width of 1-D (audio) latents' },
    effort: { type: 'int', min: 0, max: 6, default: DEFAULT_WEBP_EFFORT, help: 'WebP effort' },
    compression_level: { type: 'int', min: 0, max: 9, default: DEFAULT_PNG_LEVEL, help: 'PNG zlib level' },
    adaptive_filtering: { type: 'bool', default: true, help: 'PNG adaptive row filtering' },
  },
  details: 'Lossless means bit-exact: unpack returns exactly the latents that were packed.',
  examples: ['pack', 'pack=format=png:compression_level=9', 'pack=webp:planes=3'],
  create: (o) => {
    const p: PackOptions = { format: o.format, effort: o.effort, compressionLevel: o.compression_level, adaptiveFiltering: o.adaptive_filtering };
    if (o.bits !== undefined) p.bits = o.bits;
    if (o.planes !== undefined) p.planes = Number(o.planes) as PlaneCount;
    if (o.tiles !== undefined) p.tiles = o.tiles;
    if (o.row_width !== undefined) p.rowWidth = o.row_width;
    return pack(p);
  },
});
