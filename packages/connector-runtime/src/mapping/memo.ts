/** A bounded memo for pure functions of a string (cleared whole when full: cheap, and it refills with what is current). */
export class Memo<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly max: number) {}
  get(key: string, make: () => T): T {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (this.map.size >= this.max) this.map.clear(); // cheap bound; refills with what is current
    this.map.set(key, value);
    return value;
  }
}
