/**
 * The compression codecs kafkajs lacks, registered once for the whole process. kafkajs reads gzip
 * by itself and stops its consumer for good on the first Snappy, LZ4 or ZSTD record batch ("not
 * implemented"), and those are the defaults of many producers (Java clients, librdkafka, log
 * shippers). Registered here:
 *
 * - Snappy: `kafkajs-snappy` (pure JS, snappyjs), raw blocks and the xerial framing of Java producers;
 * - LZ4: `lz4-napi` (lz4_flex, prebuilt binaries in the npm package), the LZ4 frame format Kafka uses;
 * - ZSTD: `fzstd` (pure JS) reads it; the service never produces ZSTD, so compressing throws.
 */
import kafkajs from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { decompress as zstdDecompress } from 'fzstd';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface Encoder {
  buffer: Buffer;
}

const lz4Codec = () => ({
  compress: (encoder: Encoder) => compressFrame(encoder.buffer),
  decompress: (buffer: Buffer) => decompressFrame(buffer),
});

const zstdCodec = () => ({
  compress: (): Promise<Buffer> => Promise.reject(new Error('ZSTD compression is not available: this service only reads ZSTD record batches')),
  decompress: async (buffer: Buffer) => {
    const bytes = zstdDecompress(buffer);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
});

let registered = false;

/** Registers the Snappy, LZ4 and ZSTD codecs with kafkajs (idempotent). */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = zstdCodec;
}
