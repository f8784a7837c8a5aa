/**
 * Throughput of name normalisation + keys and of address parsing, on one core (one Node thread).
 * Run: `npm run bench -w @hub/vn`. Prints the median of several timed runs over a fixed, varied input
 * set built deterministically from the shipped catalogue. See BENCHMARK.md for recorded figures.
 */
import {
  defaultAdminRegistry,
  foldAccents,
  nameKeys,
  parseVietnameseAddress,
  placeToneMarks,
} from '../src/index.js';

const RUNS = 7;
const MIN_RUN_MS = 400;

let seed = 42;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}
function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

const FAMILY = [
  'Nguyễn',
  'Trần',
  'Lê',
  'Phạm',
  'Hoàng',
  'Huỳnh',
  'Vũ',
  'Đặng',
  'Bùi',
  'Đỗ',
  'Hầu',
  'Giàng',
  'Sùng',
  'Bàn',
  'Phàn',
  'Ma',
  'Nông',
  'Triệu',
  'Hoàng Phủ',
  'Tôn Thất',
];
const MIDDLE = ['Văn', 'Thị', 'A', 'Hữu', 'Đức', 'Ngọc', 'Minh', 'Thanh', 'Xuân', 'Quang', ''];
const GIVEN = [
  'An',
  'Bình',
  'Thủy',
  'Hòa',
  'Hoà',
  'Thuỷ',
  'Lềnh',
  'Tường',
  'Quý',
  'Quỳnh',
  'Khuê',
  'Tuyết',
  'Dũng',
  'Giang',
  'Trường',
  'Nguyệt',
  'Uyên',
  'Oanh',
  'Khoẻ',
  'Lan',
  'Mai',
  'Hương',
];

function buildNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    let name = [pick(FAMILY), pick(MIDDLE), pick(MIDDLE), pick(GIVEN)].filter((p) => p !== '').join(' ');
    const variant = i % 6;
    if (variant === 1) name = name.normalize('NFD');
    if (variant === 2) name = name.toUpperCase();
    if (variant === 3) name = placeToneMarks(name, 'modern');
    if (variant === 4) name = `  ${foldAccents(name)} `;
    names.push(name);
  }
  return names;
}

function buildAddresses(count: number): string[] {
  const registry = defaultAdminRegistry();
  const pre = registry.unitsOf('commune', 'PRE_2025');
  const cur = registry.unitsOf('commune', 'CURRENT');
  const abbreviation: Record<string, string> = {
    xã: 'X.',
    phường: 'P.',
    'thị trấn': 'TT.',
    huyện: 'H.',
    'thành phố': 'TP.',
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const detail = pick(['Thôn 5', 'Tổ 12', 'Số 27 đường Lê Lợi', 'Bản Phố Cáo', 'Xóm Đồng Bầu']);
    let text: string;
    if (i % 2 === 0) {
      const unit = pick(pre);
      const district = registry.findUnit('district', unit.parentCode ?? '', '2025-01-01');
      const province = registry.findUnit('province', district?.parentCode ?? '', '2025-01-01');
      const short = i % 4 === 0;
      const type = (t: string | undefined) => (short ? (abbreviation[t ?? ''] ?? t ?? '') : (t ?? ''));
      text = `${detail}, ${type(unit.type)} ${unit.name}, ${type(district?.type)} ${district?.name ?? ''}, tỉnh ${province?.name ?? ''}`;
    } else {
      const unit = pick(cur);
      text = `${detail}, ${unit.type ?? ''} ${unit.name}, tỉnh Tuyên Quang`;
    }
    if (i % 5 === 1) text = foldAccents(text);
    if (i % 5 === 2) text = text.normalize('NFD');
    if (i % 5 === 3) text = text.replace(/, /g, ' ');
    out.push(text);
  }
  return out;
}

function measure(label: string, inputs: readonly string[], work: (input: string) => unknown): number {
  let sink = 0;
  for (const input of inputs) sink += work(input) === undefined ? 0 : 1; // warm-up: JIT and caches
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let done = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < MIN_RUN_MS) {
      for (const input of inputs) sink += work(input) === undefined ? 0 : 1;
      done += inputs.length;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    rates.push((done / elapsed) * 1000);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  console.log(
    `${label}: median ${Math.round(median).toLocaleString('en')}/s over ${RUNS} runs (min ${Math.round(rates[0] ?? 0).toLocaleString('en')}, max ${Math.round(rates[rates.length - 1] ?? 0).toLocaleString('en')}; ${inputs.length} distinct inputs; sink ${sink > 0 ? 'ok' : 'empty'})`,
  );
  return median;
}

const names = buildNames(5000);
const addresses = buildAddresses(3000);
console.log(`node ${process.version}, one thread`);
const nameRate = measure('names (NFC + match key + fold key + phonetic key)', names, nameKeys);
const addressRate = measure('addresses (parseVietnameseAddress)', addresses, (a) =>
  parseVietnameseAddress(a),
);
console.log(
  `targets: names ≥200,000/s ${nameRate >= 200_000 ? 'MET' : 'MISSED'}; addresses ≥50,000/s ${addressRate >= 50_000 ? 'MET' : 'MISSED'}`,
);
