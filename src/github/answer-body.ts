/**
 * The bytes of a GitHub answer's body, read whole: what Octokit hands back as `data` when a request asks for
 * `parseSuccessResponseBody: false` (a stream: http-fetch.ts's, or a fetch ReadableStream; both iterate as bytes).
 */
export async function readAnswerBody(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks);
}
