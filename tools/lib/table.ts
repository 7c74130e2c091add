// Plain-text tables for the tools' reports (benchmarks, the chaos run).

/** Each cell padded to its column's width: the first `left` columns to the left, the rest (figures) to the right. */
export function padColumns(rows: string[][], left: number): string[][] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i < left ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))));
}
