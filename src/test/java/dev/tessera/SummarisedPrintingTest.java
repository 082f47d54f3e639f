package dev.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Printing through Tensor.toString above PyTorch's threshold of 1000 elements, where only the edges
 * are printed and only they are copied to the host (Views.edges). Every expected string was printed
 * by PyTorch 1.13 (Debian python3-torch, "1.13.0a0") as repr() of the Python expression in the
 * comment beside it.
 */
class SummarisedPrintingTest {
    /** As torch.arange(n) % 11 == 0. */
    private static Tensor multiplesOf11(int n) {
        boolean[] b = new boolean[n];
        for (int i = 0; i < n; i++) b[i] = i % 11 == 0;
        return Tensor.of(b);
    }

    @Test
    void summarisedTensorsMatchPyTorch() {
        // torch.arange(2000)
        assertEquals("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Tensor.arange(2000).toString());
        // torch.arange(0, 3003, dtype=torch.float32).reshape(1001, 3) / 7
        assertEquals("""
                tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01],
                        [4.2857e-01, 5.7143e-01, 7.1429e-01],
                        [8.5714e-01, 1.0000e+00, 1.1429e+00],
                        ...,
                        [4.2771e+02, 4.2786e+02, 4.2800e+02],
                        [4.2814e+02, 4.2829e+02, 4.2843e+02],
                        [4.2857e+02, 4.2871e+02, 4.2886e+02]])""",
                Tensor.arange(0, 3003, 1).reshape(1001, 3).div(7).toString());
        // (torch.arange(0, 3003, dtype=torch.float32).reshape(1001, 3) / 7).t()
        assertEquals("""
                tensor([[0.0000e+00, 4.2857e-01, 8.5714e-01,  ..., 4.2771e+02, 4.2814e+02,
                         4.2857e+02],
                        [1.4286e-01, 5.7143e-01, 1.0000e+00,  ..., 4.2786e+02, 4.2829e+02,
                         4.2871e+02],
                        [2.8571e-01, 7.1429e-01, 1.1429e+00,  ..., 4.2800e+02, 4.2843e+02,
                         4.2886e+02]])""",
                Tensor.arange(0, 3003, 1).reshape(1001, 3).div(7).t().toString());
        // torch.arange(2 * 500 * 9).reshape(2, 500, 9).float() * 0.25 - 100
        String quarters = """
                tensor([[[-100.0000,  -99.7500,  -99.5000,  ...,  -98.5000,  -98.2500,
                           -98.0000],
                         [ -97.7500,  -97.5000,  -97.2500,  ...,  -96.2500,  -96.0000,
                           -95.7500],
                         [ -95.5000,  -95.2500,  -95.0000,  ...,  -94.0000,  -93.7500,
                           -93.5000],
                         ...,
                         [1018.2500, 1018.5000, 1018.7500,  ..., 1019.7500, 1020.0000,
                          1020.2500],
                         [1020.5000, 1020.7500, 1021.0000,  ..., 1022.0000, 1022.2500,
                          1022.5000],
                         [1022.7500, 1023.0000, 1023.2500,  ..., 1024.2500, 1024.5000,
                          1024.7500]],

                        [[1025.0000, 1025.2500, 1025.5000,  ..., 1026.5000, 1026.7500,
                          1027.0000],
                         [1027.2500, 1027.5000, 1027.7500,  ..., 1028.7500, 1029.0000,
                          1029.2500],
                         [1029.5000, 1029.7500, 1030.0000,  ..., 1031.0000, 1031.2500,
                          1031.5000],
                         ...,
                         [2143.2500, 2143.5000, 2143.7500,  ..., 2144.7500, 2145.0000,
                          2145.2500],
                         [2145.5000, 2145.7500, 2146.0000,  ..., 2147.0000, 2147.2500,
                          2147.5000],
                         [2147.7500, 2148.0000, 2148.2500,  ..., 2149.2500, 2149.5000,
                          2149.7500]]])""";
        assertEquals(quarters, Tensor.arange(2 * 500 * 9).reshape(2, 500, 9).to(DType.FLOAT32).mul(0.25).sub(100).toString());
        // (torch.arange(2 * 500 * 9).reshape(2, 500, 9) * 0.25 - 100).to(torch.float64): the same text, dtype added
        assertEquals(quarters.substring(0, quarters.length() - 1) + ", dtype=torch.float64)",
                Tensor.arange(2 * 500 * 9).reshape(2, 500, 9).to(DType.FLOAT64).mul(0.25).sub(100).toString());
        // torch.arange(2 * 3 * 7 * 40).reshape(2, 3, 7, 40) % 11 == 0
        assertEquals("""
                tensor([[[[ True, False, False,  ..., False, False, False],
                          [False, False, False,  ...,  True, False, False],
                          [False, False, False,  ..., False, False, False],
                          ...,
                          [False, False, False,  ..., False,  True, False],
                          [False, False, False,  ..., False, False, False],
                          [False, False,  True,  ..., False, False, False]],

                         [[False, False, False,  ..., False, False,  True],
                          [False, False, False,  ..., False, False, False],
                          [False, False, False,  ..., False, False, False],
                          ...,
                          [ True, False, False,  ..., False, False, False],
                          [False, False, False,  ...,  True, False, False],
                          [False, False, False,  ..., False, False, False]],

                         [[False,  True, False,  ..., False, False, False],
                          [False, False, False,  ..., False,  True, False],
                          [False, False, False,  ..., False, False, False],
                          ...,
                          [False, False, False,  ..., False, False,  True],
                          [False, False, False,  ..., False, False, False],
                          [False, False, False,  ..., False, False, False]]],


                        [[[False, False, False,  ..., False, False, False],
                          [ True, False, False,  ..., False, False, False],
                          [False, False, False,  ...,  True, False, False],
                          ...,
                          [False,  True, False,  ..., False, False, False],
                          [False, False, False,  ..., False,  True, False],
                          [False, False, False,  ..., False, False, False]],

                         [[False, False,  True,  ..., False, False, False],
                          [False, False, False,  ..., False, False,  True],
                          [False, False, False,  ..., False, False, False],
                          ...,
                          [False, False, False,  ..., False, False, False],
                          [ True, False, False,  ..., False, False, False],
                          [False, False, False,  ...,  True, False, False]],

                         [[False, False, False,  ..., False, False, False],
                          [False,  True, False,  ..., False, False, False],
                          [False, False, False,  ..., False,  True, False],
                          ...,
                          [False, False,  True,  ..., False, False, False],
                          [False, False, False,  ..., False, False,  True],
                          [False, False, False,  ..., False, False, False]]]])""",
                multiplesOf11(2 * 3 * 7 * 40).reshape(2, 3, 7, 40).toString());
        // torch.arange(2 * 3 * 7 * 40).reshape(2, 3, 7, 40).permute(3, 1, 2, 0)
        assertEquals("""
                tensor([[[[   0,  840],
                          [  40,  880],
                          [  80,  920],
                          ...,
                          [ 160, 1000],
                          [ 200, 1040],
                          [ 240, 1080]],

                         [[ 280, 1120],
                          [ 320, 1160],
                          [ 360, 1200],
                          ...,
                          [ 440, 1280],
                          [ 480, 1320],
                          [ 520, 1360]],

                         [[ 560, 1400],
                          [ 600, 1440],
                          [ 640, 1480],
                          ...,
                          [ 720, 1560],
                          [ 760, 1600],
                          [ 800, 1640]]],


                        [[[   1,  841],
                          [  41,  881],
                          [  81,  921],
                          ...,
                          [ 161, 1001],
                          [ 201, 1041],
                          [ 241, 1081]],

                         [[ 281, 1121],
                          [ 321, 1161],
                          [ 361, 1201],
                          ...,
                          [ 441, 1281],
                          [ 481, 1321],
                          [ 521, 1361]],

                         [[ 561, 1401],
                          [ 601, 1441],
                          [ 641, 1481],
                          ...,
                          [ 721, 1561],
                          [ 761, 1601],
                          [ 801, 1641]]],


                        [[[   2,  842],
                          [  42,  882],
                          [  82,  922],
                          ...,
                          [ 162, 1002],
                          [ 202, 1042],
                          [ 242, 1082]],

                         [[ 282, 1122],
                          [ 322, 1162],
                          [ 362, 1202],
                          ...,
                          [ 442, 1282],
                          [ 482, 1322],
                          [ 522, 1362]],

                         [[ 562, 1402],
                          [ 602, 1442],
                          [ 642, 1482],
                          ...,
                          [ 722, 1562],
                          [ 762, 1602],
                          [ 802, 1642]]],


                        ...,


                        [[[  37,  877],
                          [  77,  917],
                          [ 117,  957],
                          ...,
                          [ 197, 1037],
                          [ 237, 1077],
                          [ 277, 1117]],

                         [[ 317, 1157],
                          [ 357, 1197],
                          [ 397, 1237],
                          ...,
                          [ 477, 1317],
                          [ 517, 1357],
                          [ 557, 1397]],

                         [[ 597, 1437],
                          [ 637, 1477],
                          [ 677, 1517],
                          ...,
                          [ 757, 1597],
                          [ 797, 1637],
                          [ 837, 1677]]],


                        [[[  38,  878],
                          [  78,  918],
                          [ 118,  958],
                          ...,
                          [ 198, 1038],
                          [ 238, 1078],
                          [ 278, 1118]],

                         [[ 318, 1158],
                          [ 358, 1198],
                          [ 398, 1238],
                          ...,
                          [ 478, 1318],
                          [ 518, 1358],
                          [ 558, 1398]],

                         [[ 598, 1438],
                          [ 638, 1478],
                          [ 678, 1518],
                          ...,
                          [ 758, 1598],
                          [ 798, 1638],
                          [ 838, 1678]]],


                        [[[  39,  879],
                          [  79,  919],
                          [ 119,  959],
                          ...,
                          [ 199, 1039],
                          [ 239, 1079],
                          [ 279, 1119]],

                         [[ 319, 1159],
                          [ 359, 1199],
                          [ 399, 1239],
                          ...,
                          [ 479, 1319],
                          [ 519, 1359],
                          [ 559, 1399]],

                         [[ 599, 1439],
                          [ 639, 1479],
                          [ 679, 1519],
                          ...,
                          [ 759, 1599],
                          [ 799, 1639],
                          [ 839, 1679]]]])""",
                Tensor.arange(2 * 3 * 7 * 40).reshape(2, 3, 7, 40).permute(3, 1, 2, 0).toString());
    }

    /**
     * Views of more than 2^31 - 1 elements, which no Java array can hold (toDoubleArray() refuses them):
     * they print because only the edges are copied, each corner of the tensor as one small strided copy.
     */
    @Test
    void viewsTooLargeForAJavaArrayPrintTheirEdges() {
        Tensor huge = Tensor.of(new float[] {1.5f}).expand(3_000_000_000L);
        assertThrows(TesseraException.class, huge::toDoubleArray);
        // torch.tensor([1.5]).expand(3_000_000_000)
        assertEquals("""
                tensor([1.5000, 1.5000, 1.5000,  ..., 1.5000, 1.5000, 1.5000])""",
                huge.toString());
        // torch.arange(4.).view(4, 1).expand(4, 2**31 + 3)
        assertEquals("""
                tensor([[0., 0., 0.,  ..., 0., 0., 0.],
                        [1., 1., 1.,  ..., 1., 1., 1.],
                        [2., 2., 2.,  ..., 2., 2., 2.],
                        [3., 3., 3.,  ..., 3., 3., 3.]])""",
                Tensor.arange(0, 4, 1).view(4, 1).expand(4, (1L << 31) + 3).toString());
        // (torch.arange(12).view(3, 1, 4) * 1000).expand(3, 2**31 + 3, 4)
        assertEquals("""
                tensor([[[    0,  1000,  2000,  3000],
                         [    0,  1000,  2000,  3000],
                         [    0,  1000,  2000,  3000],
                         ...,
                         [    0,  1000,  2000,  3000],
                         [    0,  1000,  2000,  3000],
                         [    0,  1000,  2000,  3000]],

                        [[ 4000,  5000,  6000,  7000],
                         [ 4000,  5000,  6000,  7000],
                         [ 4000,  5000,  6000,  7000],
                         ...,
                         [ 4000,  5000,  6000,  7000],
                         [ 4000,  5000,  6000,  7000],
                         [ 4000,  5000,  6000,  7000]],

                        [[ 8000,  9000, 10000, 11000],
                         [ 8000,  9000, 10000, 11000],
                         [ 8000,  9000, 10000, 11000],
                         ...,
                         [ 8000,  9000, 10000, 11000],
                         [ 8000,  9000, 10000, 11000],
                         [ 8000,  9000, 10000, 11000]]])""",
                Tensor.arange(12).view(3, 1, 4).mul(1000).expand(3, (1L << 31) + 3, 4).toString());
    }
}
