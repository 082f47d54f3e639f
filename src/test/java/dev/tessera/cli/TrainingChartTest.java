package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training chart's numbers (CSV, smoothing, x positions) exactly, and that the PNG is a real two-panel chart. */
class TrainingChartTest {
    private static TrainingChart.History history() {
        TrainingChart.History h = new TrainingChart.History();
        double[] losses = {2.0, 1.0, 0.5, 0.25};   // two epochs of two steps
        h.step(1, losses[0]);
        h.step(1, losses[1]);
        h.epoch(2, 0.9, 0.7);
        h.step(2, losses[2]);
        h.step(2, losses[3]);
        h.epoch(2, 0.4, 0.875);
        return h;
    }

    @Test void smoothingIsABiasCorrectedMovingAverage() {
        double[] s = history().smoothed();
        // β = 0.9: s1 = x1; s2 = (0.9·0.1·2 + 0.1·1) / (1 − 0.81) = 0.28 / 0.19
        assertEquals(2.0, s[0], 1e-15);
        assertEquals(0.28 / 0.19, s[1], 1e-15);
        double num = 0, den = 0;
        double[] x = {2.0, 1.0, 0.5, 0.25};
        for (int t = 0; t < 4; t++) { num = 0.9 * num + 0.1 * x[t]; den = 0.9 * den + 0.1; assertEquals(num / den, s[t], 1e-15); }
        assertArrayEquals(new double[] {0.5, 1.0, 1.5, 2.0}, history().stepX(), 0, "step s of n in epoch e sits at e - 1 + s/n");
    }

    @Test void csvHasEveryStepAndTheValidationRowsAtEpochEnds(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("model.csv");
        TrainingChart.writeCsv(csv, history());
        double[] s = history().smoothed();
        assertEquals(List.of(
                "step,epoch,train_loss,train_loss_smoothed,val_loss,val_accuracy",
                "1,0.500000,2.0000000,2.0000000,,",
                String.format(java.util.Locale.ROOT, "2,1.000000,1.0000000,%.8g,0.90000000,0.70000000", s[1]),
                String.format(java.util.Locale.ROOT, "3,1.500000,0.50000000,%.8g,,", s[2]),
                String.format(java.util.Locale.ROOT, "4,2.000000,0.25000000,%.8g,0.40000000,0.87500000", s[3])), Files.readAllLines(csv));
        assertEquals(List.of("model.csv"), List.of(dir.toFile().list()), "no temporary file left");
    }

    @Test void pngIsTwoPanelsWithContent(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(ModuleLayer.boot().findModule("java.desktop").isPresent(), "no java.desktop in this runtime");
        Path png = dir.resolve("model.png");
        TrainingChart.writePng(png, history());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(1280, img.getWidth());
        assertEquals(420, img.getHeight());
        // Axes, ticks, gridlines, legend and three colours of series make many distinct colours in each panel;
        // a blank or one-line panel has a handful.
        for (int panel = 0; panel < 2; panel++) {
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 2)
                for (int x = panel * 640; x < (panel + 1) * 640; x += 2) colours.add(img.getRGB(x, y));
            assertTrue(colours.size() > 50, "panel " + panel + ": " + colours.size() + " colours");
        }
        assertEquals(List.of("model.png"), List.of(dir.toFile().list()), "no temporary file left");
    }
}
