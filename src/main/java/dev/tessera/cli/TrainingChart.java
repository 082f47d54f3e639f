package dev.tessera.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** A PNG with two panels: training loss and validation accuracy per epoch. */
final class TrainingChart {
    private TrainingChart() {}

    private static final int PANEL_W = 420, H = 300, MARGIN = 50;

    static void write(Path png, List<Double> loss, List<Double> accuracy) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(2 * PANEL_W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), H);
        panel(g, 0, "training loss", loss, new Color(0x1f77b4));
        panel(g, PANEL_W, "validation accuracy", accuracy, new Color(0xd62728));
        g.dispose();
        Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), ".chart", ".png");
        try {
            ImageIO.write(img, "png", tmp.toFile());
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void panel(Graphics2D g, int x0, String title, List<Double> values, Color color) {
        double lo = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double hi = values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        int left = x0 + MARGIN, right = x0 + PANEL_W - 20, top = 35, bottom = H - 40;
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, left, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        g.drawString(String.format(Locale.ROOT, "%.4f", hi), x0 + 2, top + 4);
        g.drawString(String.format(Locale.ROOT, "%.4f", lo), x0 + 2, bottom);
        g.drawString("epoch", (left + right) / 2 - 15, H - 10);
        int n = values.size();
        int[] px = new int[n], py = new int[n];
        for (int i = 0; i < n; i++) {
            px[i] = n == 1 ? (left + right) / 2 : left + (int) Math.round((right - left) * i / (double) (n - 1));
            py[i] = bottom - (int) Math.round((bottom - top) * (values.get(i) - lo) / (hi - lo));
            g.drawString(String.valueOf(i + 1), px[i] - 3, bottom + 14);
        }
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        g.drawPolyline(px, py, n);
        for (int i = 0; i < n; i++) g.fillOval(px[i] - 3, py[i] - 3, 7, 7);
    }
}
