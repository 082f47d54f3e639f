package dev.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.DType;
import dev.tessera.Tensor;
import dev.tessera.data.DataLoader;
import dev.tessera.data.SyntheticDigits;
import dev.tessera.data.TensorDataset;
import dev.tessera.optim.SGD;
import org.junit.jupiter.api.Test;

/** End to end: a 784-128-10 MLP learns the synthetic digits with SGD, through Module, losses, autograd and DataLoader. */
class TrainingTest {
    @Test void mlpLearnsSyntheticDigits() {
        Tensor.manualSeed(7);
        TensorDataset train = SyntheticDigits.generate(2000, 1), test = SyntheticDigits.generate(500, 2);
        Sequential model = new Sequential(new Flatten(), new Linear(28 * 28, 128), new ReLU(), new Linear(128, 10));
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        SGD opt = new SGD(model.parameters(), 0.05, 0.9);
        DataLoader loader = new DataLoader(train, 32, true, false, 11);
        double firstEpochLoss = 0, lastEpochLoss = 0;
        int epochs = 5;
        for (int epoch = 0; epoch < epochs; epoch++) {
            double sum = 0;
            int batches = 0;
            for (DataLoader.Batch b : loader) {
                opt.zeroGrad();
                Tensor loss = lossFn.forward(model.forward(b.inputs()), b.labels());
                loss.backward();
                opt.step();
                sum += loss.item();
                batches++;
            }
            if (epoch == 0) firstEpochLoss = sum / batches;
            lastEpochLoss = sum / batches;
        }
        model.eval();
        double accuracy;
        try (var ng = Tensor.noGrad()) {
            Tensor predictions = model.forward(test.inputs()).argmax(1);
            accuracy = predictions.eq(test.labels()).to(DType.FLOAT32).mean().item();
        }
        double first = firstEpochLoss, last = lastEpochLoss, acc = accuracy;
        assertTrue(last < 0.5 * first, () -> "training loss fell only from " + first + " to " + last);
        // measured 0.72-0.76 with these seeds as the digit generator evolved, 0.71-0.79 over five other seed sets; ~2.5 s; chance is 0.1
        assertTrue(accuracy > 0.6, () -> "test accuracy " + acc + " (train loss " + first + " -> " + last + ")");
    }
}
