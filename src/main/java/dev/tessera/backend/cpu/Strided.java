package dev.tessera.backend.cpu;

import dev.tessera.backend.MergedDims;
import dev.tessera.backend.View;

/**
 * Row-by-row iteration over up to three views of one shape, merged by {@link MergedDims}: a
 * contiguous tensor is a single row and a broadcast bias add is a loop over unit-stride rows.
 */
final class Strided {
    /** One row: element offsets of each operand and the row length; strides are in the Strided. */
    interface Row { void run(int o0, int o1, int o2, int len); }

    final int[] shape;        // merged outer shape; the last entry is the row length
    final int[][] strides;    // per operand, merged
    final int[] offsets;
    final int rowLength;
    final int s0, s1, s2;     // the operands' strides along the row

    Strided(long[] shape, View... views) {
        MergedDims m = new MergedDims(shape, views);
        int dims = m.shape.length;
        this.shape = new int[dims];
        for (int d = 0; d < dims; d++) this.shape[d] = (int) m.shape[d];
        this.strides = new int[3][dims];
        this.offsets = new int[3];
        for (int v = 0; v < views.length; v++) {
            for (int d = 0; d < dims; d++) strides[v][d] = (int) m.strides[v][d];
            offsets[v] = (int) views[v].offset();
        }
        this.rowLength = this.shape[dims - 1];
        this.s0 = strides[0][dims - 1];
        this.s1 = strides[1][dims - 1];
        this.s2 = strides[2][dims - 1];
    }

    int rows() {
        int r = 1;
        for (int d = 0; d < shape.length - 1; d++) r *= shape[d];
        return rowLength == 0 ? 0 : r;
    }

    /** Runs body over every row, in parallel when the whole loop is large. */
    void forEachRow(Row body) {
        int rows = rows();
        if (rows == 0) return;
        long work = (long) rows * rowLength;
        Parallel.forRange(rows, work, (from, to) -> runRows(from, to, body));
    }

    private void runRows(int from, int to, Row body) {
        int outer = shape.length - 1;
        int[] idx = new int[Math.max(outer, 1)];
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2];
        int rem = from;
        for (int d = outer - 1; d >= 0; d--) {
            idx[d] = rem % shape[d];
            rem /= shape[d];
            o0 += idx[d] * strides[0][d]; o1 += idx[d] * strides[1][d]; o2 += idx[d] * strides[2][d];
        }
        for (int r = from; r < to; r++) {
            body.run(o0, o1, o2, rowLength);
            for (int d = outer - 1; d >= 0; d--) {      // odometer step to the next row
                o0 += strides[0][d]; o1 += strides[1][d]; o2 += strides[2][d];
                if (++idx[d] < shape[d]) break;
                o0 -= shape[d] * strides[0][d]; o1 -= shape[d] * strides[1][d]; o2 -= shape[d] * strides[2][d];
                idx[d] = 0;
            }
        }
    }
}
