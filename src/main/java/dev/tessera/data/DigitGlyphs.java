package dev.tessera.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Pen strokes for the digits 0-9, each drawn the way people write it, with the shape parameters
 * (radii, angles, lengths, optional flags and bars) varied per sample. Coordinates: x to the
 * right, y down, the digit roughly in {@code x in [-0.55, 0.55], y in [-1, 1]}. Angles are in
 * degrees with y down, so increasing angle runs clockwise on screen: 270 is the top of an ellipse,
 * 90 its bottom. {@link SyntheticDigits} distorts, transforms and rasterises the result.
 */
final class DigitGlyphs {
    private DigitGlyphs() {}

    /** Polylines as flat {@code x0, y0, x1, y1, ...} arrays. */
    static List<double[]> strokes(int digit, SplittableRandom rng) {
        Pen p = new Pen(rng);
        switch (digit) {
            case 0 -> zero(p);
            case 1 -> one(p);
            case 2 -> two(p);
            case 3 -> three(p);
            case 4 -> four(p);
            case 5 -> five(p);
            case 6 -> six(p);
            case 7 -> seven(p);
            case 8 -> eight(p);
            case 9 -> nine(p);
            default -> throw new IllegalArgumentException("digit must be 0..9, got " + digit);
        }
        return p.done();
    }

    private static void zero(Pen p) {
        double a0 = 270 + p.j(50), span = p.u(350, 390) * p.sign();
        p.stroke().arc(p.j(0.03), p.j(0.03), p.u(0.25, 0.55), p.u(0.8, 0.95), a0, a0 + span);
    }

    private static void one(Pen p) {
        double tx = p.u(-0.05, 0.1), ty = p.u(-0.95, -0.8), bx = p.u(-0.1, 0.05), by = p.u(0.85, 0.95);
        if (p.chance(0.4)) p.stroke().to(tx - p.u(0.12, 0.26), ty + p.u(0.15, 0.3));    // the flag, drawn into the stem
        else p.stroke();
        p.to(tx, ty).curveTo(tx + p.j(0.06), ty * 0.33 + by * 0.67, bx, by);
        if (p.chance(0.15)) p.stroke().to(bx - p.u(0.2, 0.3), by).to(bx + p.u(0.2, 0.3), by + p.j(0.04));
    }

    private static void two(Pen p) {
        double cy = -0.45 + p.j(0.06), rx = p.u(0.36, 0.48);
        p.stroke().arc(p.j(0.04), cy, rx, p.u(0.38, 0.5), p.u(185, 215), p.u(365, 400));
        double bx = -0.45 + p.j(0.06), by = 0.9 + p.j(0.05);
        double[] d = p.direction();
        double reach = p.u(0.2, 0.45);
        p.cubicTo(p.x() + d[0] * reach, p.y() + d[1] * reach, p.u(-0.25, 0), p.u(0.4, 0.65), bx, by);
        if (p.chance(0.2)) p.arc(bx + 0.1, by - 0.1, 0.1, 0.1, 135, 135 - 300);     // a small loop at the corner
        p.to(p.u(0.4, 0.55), by + p.j(0.06));
    }

    private static void three(Pen p) {
        double ax = p.j(0.04), bx = ax + p.j(0.05);
        if (p.chance(0.2)) {       // flat top: a bar, a diagonal back to the middle, then the lower bowl
            double my = p.u(-0.15, 0);
            p.stroke().to(-0.4 + p.j(0.06), -0.9 + p.j(0.05)).to(0.4 + p.j(0.06), -0.9 + p.j(0.05)).to(bx - p.u(0, 0.1), my)
                    .arc(bx, 0.45 + p.j(0.03), p.u(0.4, 0.5), 0.45 - my, -90, p.u(490, 520) - 360);
            return;
        }
        p.stroke().arc(ax, -0.47 + p.j(0.04), p.u(0.32, 0.43), p.u(0.4, 0.47), p.u(195, 230), p.u(450, 485));
        p.arc(bx, 0.45 + p.j(0.03), p.u(0.38, 0.5), p.u(0.44, 0.5), p.u(235, 270), p.u(490, 520));
    }

    private static void four(Pen p) {
        double barY = p.u(0.2, 0.4), stemX = p.u(0.12, 0.3);
        if (p.chance(0.5)) {       // closed top: one diagonal into the bar, then the stem
            double topX = stemX + p.j(0.08);
            p.stroke().to(topX, -0.95).to(-0.5 + p.j(0.05), barY).to(0.5 + p.j(0.06), barY + p.j(0.05));
            p.stroke().to(stemX, p.u(-0.7, -0.4)).to(stemX + p.j(0.06), 0.95);
        } else {                   // open top: an "L" and a full-height stem
            double leftX = -0.38 + p.j(0.06);
            p.stroke().to(leftX, -0.95 + p.j(0.05)).to(leftX - p.u(0, 0.1), barY).to(0.5 + p.j(0.06), barY + p.j(0.05));
            p.stroke().to(stemX + 0.05, -0.95 + p.j(0.05)).to(stemX + p.j(0.06), 0.95);
        }
    }

    private static void five(Pen p) {
        double cx = p.j(0.03), cy = 0.38 + p.j(0.04), rx = p.u(0.4, 0.5), ry = p.u(0.44, 0.52);
        double a0 = p.u(-150, -125), rad = Math.toRadians(a0);
        double sx = cx + rx * Math.cos(rad), sy = cy + ry * Math.sin(rad);    // where the bowl begins
        double topX = sx + p.j(0.06), topY = -0.9 + p.j(0.05);
        p.stroke().to(topX, topY).to(sx, sy).arc(cx, cy, rx, ry, a0, p.u(125, 160));
        p.stroke().to(topX + p.u(0, 0.08), topY - p.u(0, 0.06)).to(p.u(0.35, 0.55), topY + p.j(0.08));   // often lifted off
    }

    private static void six(Pen p) {
        double ry = p.u(0.33, 0.5), cx = p.j(0.04), cy = 0.92 - ry + p.j(0.03), rx = p.u(0.33, 0.47);
        double sx = cx - rx, sy = cy;
        p.stroke().to(p.u(0.15, 0.4), -0.92 + p.j(0.05))
                .cubicTo(p.u(-0.2, 0), p.u(-0.9, -0.7), sx + p.j(0.05), p.u(-0.4, -0.1), sx, sy)
                .arc(cx, cy, rx, ry, 180, 180 - p.u(330, 380));
    }

    private static void seven(Pen p) {
        double lx = -0.55 + p.j(0.06), ly = -0.88 + p.j(0.05), rx = 0.5 + p.j(0.06), ry = -0.9 + p.j(0.05);
        p.stroke();
        if (p.chance(0.25)) p.to(lx - p.u(0, 0.05), ly + p.u(0.12, 0.25));       // a tick before the bar
        double bx = p.u(-0.3, 0.05), by = 0.95;
        p.to(lx, ly).to(rx, ry).curveTo(rx * 0.5 + bx * 0.5 + p.j(0.08), (ry + by) / 2, bx, by);
        if (p.chance(0.2)) {
            double mx = rx * 0.5 + bx * 0.5, w = p.u(0.18, 0.28);
            p.stroke().to(mx - w, p.j(0.06)).to(mx + w, p.j(0.06));
        }
    }

    private static void eight(Pen p) {
        if (p.chance(0.5)) {        // one figure-eight stroke crossing in the middle
            double up = p.u(0.26, 0.38), low = p.u(0.34, 0.46), h = p.u(0.9, 0.98), mid = p.j(0.08);
            p.stroke();
            double t0 = p.j(20), span = p.u(365, 390);
            for (double t = t0; t <= t0 + span; t += 6) {
                double r = Math.toRadians(t), c = Math.cos(r);
                double w = c > 0 ? up : low;          // c > 0: the upper half of the curve
                p.to(w * Math.sin(2 * r), mid - (c > 0 ? h + mid : h - mid) * c);
            }
        } else {                    // two loops
            double a = p.u(0, 360);
            p.stroke().arc(p.j(0.04), -0.5 + p.j(0.04), p.u(0.26, 0.36), p.u(0.36, 0.44), a, a + 365);
            double b = p.u(0, 360);
            p.stroke().arc(p.j(0.05), 0.43 + p.j(0.04), p.u(0.34, 0.46), p.u(0.44, 0.5), b, b - 365);
        }
    }

    private static void nine(Pen p) {
        double cx = p.j(0.04), cy = -0.45 + p.j(0.05), rx = p.u(0.32, 0.45), ry = p.u(0.36, 0.46);
        double a0 = p.u(0, 20);
        p.stroke().arc(cx, cy, rx, ry, a0, a0 - p.u(355, 380));
        double sx = cx + rx * Math.cos(Math.toRadians(a0)), bx = sx + p.u(-0.2, 0.05);
        if (p.chance(0.4)) p.curveTo(sx + 0.05, 0.5, bx - p.u(0.1, 0.3), 0.92);   // a tail that curls left
        else p.curveTo(sx + p.j(0.05), 0.3, bx, 0.95);
    }

    /** A pen that collects polylines and draws lines, ellipse arcs and Bezier curves. */
    static final class Pen {
        private final SplittableRandom rng;
        private final List<double[]> strokes = new ArrayList<>();
        private double[] cur = new double[64];
        private int n;   // values used in cur

        Pen(SplittableRandom rng) { this.rng = rng; }

        double u(double lo, double hi) { return lo + (hi - lo) * rng.nextDouble(); }
        double j(double amp) { return u(-amp, amp); }
        boolean chance(double p) { return rng.nextDouble() < p; }
        double sign() { return chance(0.5) ? 1 : -1; }
        double x() { return cur[n - 2]; }
        double y() { return cur[n - 1]; }

        /** Starts a new polyline. */
        Pen stroke() {
            flush();
            return this;
        }

        Pen to(double x, double y) {
            if (n + 2 > cur.length) cur = java.util.Arrays.copyOf(cur, cur.length * 2);
            cur[n++] = x;
            cur[n++] = y;
            return this;
        }

        /** An elliptic arc from angle a0 to a1 (either direction), about every 8 degrees. */
        Pen arc(double cx, double cy, double rx, double ry, double a0, double a1) {
            int steps = Math.max(2, (int) Math.ceil(Math.abs(a1 - a0) / 8));
            for (int i = 0; i <= steps; i++) {
                double a = Math.toRadians(a0 + (a1 - a0) * i / steps);
                to(cx + rx * Math.cos(a), cy + ry * Math.sin(a));
            }
            return this;
        }

        /** A quadratic Bezier from the current point through control (cx, cy) to (x, y). */
        Pen curveTo(double cx, double cy, double x, double y) {
            double x0 = x(), y0 = y();
            for (int i = 1; i <= 12; i++) {
                double t = i / 12.0, s = 1 - t;
                to(s * s * x0 + 2 * s * t * cx + t * t * x, s * s * y0 + 2 * s * t * cy + t * t * y);
            }
            return this;
        }

        /** A cubic Bezier from the current point with controls (x1, y1), (x2, y2) to (x, y). */
        Pen cubicTo(double x1, double y1, double x2, double y2, double x, double y) {
            double x0 = x(), y0 = y();
            for (int i = 1; i <= 16; i++) {
                double t = i / 16.0, s = 1 - t;
                double a = s * s * s, b = 3 * s * s * t, c = 3 * s * t * t, d = t * t * t;
                to(a * x0 + b * x1 + c * x2 + d * x, a * y0 + b * y1 + c * y2 + d * y);
            }
            return this;
        }

        /** The unit direction of the last segment drawn. */
        double[] direction() {
            double dx = cur[n - 2] - cur[n - 4], dy = cur[n - 1] - cur[n - 3], len = Math.hypot(dx, dy);
            return len == 0 ? new double[] {0, 1} : new double[] {dx / len, dy / len};
        }

        private void flush() {
            if (n >= 4) strokes.add(java.util.Arrays.copyOf(cur, n));
            else if (n == 2) strokes.add(new double[] {cur[0], cur[1], cur[0], cur[1]});   // a dot
            n = 0;
        }

        List<double[]> done() {
            flush();
            return strokes;
        }
    }
}
