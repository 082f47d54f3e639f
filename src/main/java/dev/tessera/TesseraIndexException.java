package dev.tessera;

/**
 * What PyTorch raises as {@code IndexError}: a dimension outside {@code [-rank, rank)}
 * ({@code Dimension out of range (expected to be in range of [-2, 1], but got 5)}), an index past
 * the end of a dimension ({@code select}, {@link Tensor#index(long)}, {@link Size#get(int)}), an
 * embedding index outside the table ({@code index out of range in self}) and a class target
 * outside {@code [0, C)} ({@code Target 5 is out of bounds.}). A {@link TesseraException}, so code
 * that catches every Tessera error still catches it.
 */
public class TesseraIndexException extends TesseraException {
    public TesseraIndexException(String message) { super(message); }
    public TesseraIndexException(String message, Throwable cause) { super(message, cause); }
}
