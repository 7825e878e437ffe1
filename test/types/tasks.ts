// A typed task module for the type tests (never run).
import { transfer } from 'spindle/worker';

export function add(a: number, b: number): number {
  return a + b;
}
export async function greet(name: string): Promise<string> {
  return `hi ${name}`;
}
export function optional(x?: number): number {
  return x ?? 0;
}
export function buffer(n: number) {
  const buf = new ArrayBuffer(n);
  return transfer(buf, [buf]);
}
export default function length(s: string): number {
  return s.length;
}
export const notATask = 5;
