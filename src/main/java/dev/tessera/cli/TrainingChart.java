package dev.tessera.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What {@code tessera train --save} draws and writes beside the model: a PNG with two XChart panels
 * (loss: the training loss of every step, its smoothed curve and the validation loss per epoch;
 * validation accuracy per epoch), on real axes with ticks, gridlines and legends, and a CSV with the
 * same numbers. The x axis is in epochs: step s of an epoch with n steps sits at epoch − 1 + s/n, and
 * the validation points at the whole epochs, where they were measured.
 */
final class TrainingChart {
    private TrainingChart() {}

    /** Weight of the past in the smoothed training loss (an exponential moving average, bias-corrected as TensorBoard's). */
    static final double SMOOTHING = 0.9;

    private static final int PANEL_W = 640, H = 420;

    /** The numbers of one training run: per step the loss, per epoch the validation loss and accuracy. */
    static final class History {
        final List<Double> stepLoss = new ArrayList<>();
        final List<Integer> stepEpoch = new ArrayList<>();
        final List<Double> epochValLoss = new ArrayList<>(), epochValAccuracy = new ArrayList<>();
        final List<Integer> stepsInEpoch = new ArrayList<>();

        void step(int epoch, double loss) {
            stepLoss.add(loss);
            stepEpoch.add(epoch);
        }

        void epoch(int steps, double valLoss, double valAccuracy) {
            stepsInEpoch.add(steps);
            epochValLoss.add(valLoss);
            epochValAccuracy.add(valAccuracy);
        }

        /** The x position (in epochs) of every step. */
        double[] stepX() {
            double[] x = new double[stepLoss.size()];
            int i = 0;
            for (int e = 0; e < stepsInEpoch.size(); e++)
                for (int s = 1; s <= stepsInEpoch.get(e); s++) x[i++] = e + s / (double) stepsInEpoch.get(e);
            return x;
        }

        /** s_t = β·s_{t-1} + (1 − β)·x_t, divided by 1 − β^t so the first steps are not pulled towards 0. */
        double[] smoothed() {
            double[] out = new double[stepLoss.size()];
            double s = 0, weight = 0;
            for (int t = 0; t < out.length; t++) {
                s = SMOOTHING * s + (1 - SMOOTHING) * stepLoss.get(t);
                weight = SMOOTHING * weight + (1 - SMOOTHING);
                out[t] = s / weight;
            }
            return out;
        }
    }

    /**
     * {@code step,epoch,train_loss,train_loss_smoothed,val_loss,val_accuracy}: one row per step; the
     * validation columns are filled on the last step of each epoch, where they were measured.
     */
    static void writeCsv(Path csv, History h) throws IOException {
        double[] x = h.stepX(), smooth = h.smoothed();
        StringBuilder sb = new StringBuilder("step,epoch,train_loss,train_loss_smoothed,val_loss,val_accuracy\n");
        int step = 0;
        for (int e = 0; e < h.stepsInEpoch.size(); e++)
            for (int s = 1; s <= h.stepsInEpoch.get(e); s++, step++) {
                sb.append(String.format(Locale.ROOT, "%d,%.6f,%.8g,%.8g,", step + 1, x[step], h.stepLoss.get(step), smooth[step]));
                if (s == h.stepsInEpoch.get(e))
                    sb.append(String.format(Locale.ROOT, "%.8g,%.8g", h.epochValLoss.get(e), h.epochValAccuracy.get(e)));
                else sb.append(',');
                sb.append('\n');
            }
        atomicWrite(csv, tmp -> Files.writeString(tmp, sb, StandardCharsets.UTF_8));
    }

    /** The two panels side by side as one PNG. Needs java.desktop (a LinkageError without it). */
    static void writePng(Path png, History h) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] epochs = new double[h.epochValLoss.size()];
        for (int e = 0; e < epochs.length; e++) epochs[e] = e + 1;

        XYChart loss = chart("Loss", "cross-entropy");
        XYSeries raw = loss.addSeries("training (per step)", h.stepX(), toArray(h.stepLoss));
        style(raw, null, new Color(0x1f, 0x77, 0xb4, 70), 1f);
        XYSeries smooth = loss.addSeries("training (smoothed)", h.stepX(), h.smoothed());
        style(smooth, null, new Color(0x1f77b4), 2.5f);
        XYSeries val = loss.addSeries("validation (per epoch)", epochs, toArray(h.epochValLoss));
        style(val, new Color(0xd62728), new Color(0xd62728), 2f);

        XYChart accuracy = chart("Validation accuracy", "accuracy");
        XYSeries acc = accuracy.addSeries("validation (per epoch)", epochs, toArray(h.epochValAccuracy));
        style(acc, new Color(0x2ca02c), new Color(0x2ca02c), 2f);
        for (XYChart c : List.of(loss, accuracy)) {   // the same epoch axis on both, from 0, a little room at the right
            c.getStyler().setXAxisMin(0.0);
            c.getStyler().setXAxisMax(epochs.length * 1.03);
            c.getStyler().setXAxisDecimalPattern("0.##");
        }
        padY(loss, concat(toArray(h.stepLoss), toArray(h.epochValLoss)));
        padY(accuracy, toArray(h.epochValAccuracy));

        BufferedImage img = new BufferedImage(2 * PANEL_W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.drawImage(BitmapEncoder.getBufferedImage(loss), 0, 0, null);
        g.drawImage(BitmapEncoder.getBufferedImage(accuracy), PANEL_W, 0, null);
        g.dispose();
        atomicWrite(png, tmp -> ImageIO.write(img, "png", tmp.toFile()));
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(PANEL_W).height(H).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
        org.knowm.xchart.style.XYStyler s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideS);   // below the plot: never over the data
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setPlotGridLinesVisible(true);
        s.setAntiAlias(true);
        return c;
    }

    /** A line without markers when markerColor is null, else a line through round markers. */
    private static void style(XYSeries s, Color markerColor, Color lineColor, float width) {
        if (markerColor == null) s.setMarker(SeriesMarkers.NONE);
        else {
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(markerColor);
        }
        s.setLineColor(lineColor);
        s.setLineWidth(width);
    }

    /** Y range 5% beyond the data on both sides, so markers at the extremes are not cut off. */
    private static void padY(XYChart c, double[] values) {
        double lo = java.util.Arrays.stream(values).min().orElse(0), hi = java.util.Arrays.stream(values).max().orElse(1);
        double pad = Math.max(hi - lo, Math.max(Math.abs(hi), 1e-3) * 0.1) * 0.05;
        c.getStyler().setYAxisMin(lo - pad);
        c.getStyler().setYAxisMax(hi + pad);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double[] toArray(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).toArray(); }

    private interface Writer { void write(Path tmp) throws IOException; }

    /** Written to a temporary file beside the target, then renamed over it. */
    private static void atomicWrite(Path target, Writer w) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName(), ".tmp");
        try {
            w.write(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
