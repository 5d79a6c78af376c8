// Types for verify-neevscan-webhook.mjs (the example stays plain JavaScript for copying; the tests import it).
import type { Server } from 'node:http';

export function verifyNeevscanSignature(input: {
  secret: string;
  rawBody: Buffer | string;
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
  now?: number;
}): boolean;

export function createReceiver(secret: string, onEvent: (event: string | undefined, body: any) => void): Server;
