/**
 * Neural-network building blocks with explicit forward and backward passes over ND4J arrays.
 *
 * <h2>How backward finds its activations: the {@link org.clip4j.core.nn.Tape}</h2>
 * Every layer has {@code forward(x, tape)} and {@code backward(dy, tape)}. In training the caller passes a
 * {@link org.clip4j.core.nn.Tape}; each forward call pushes one {@link org.clip4j.core.nn.Tape.Frame} holding
 * exactly what its backward needs, and backward pops it. Calls unwind in reverse order, so a stack is all that
 * is needed, and one module object can be called several times per step (each call has its own frame). With
 * {@code tape == null} (inference) nothing is kept and every intermediate is released at once.
 *
 * <h2>Who releases native memory</h2>
 * ND4J arrays live outside the Java heap and are freed here deterministically with {@code INDArray.close()},
 * never by the garbage collector:
 * <ul>
 *   <li>forward borrows its input and returns a new array that the caller owns;</li>
 *   <li>backward borrows its upstream gradient and returns a new input gradient that the caller owns;</li>
 *   <li>a frame {@linkplain org.clip4j.core.nn.Tape.Frame#keep keeps} arrays its module created (released when
 *       the frame is closed after backward) and may {@linkplain org.clip4j.core.nn.Tape.Frame#ref reference}
 *       borrowed ones, which the caller promises to keep alive until the matching backward has run;</li>
 *   <li>views (reshape, slices) are never released: closing a view is a no-op in ND4J, so returned arrays are
 *       always owners, never views.</li>
 * </ul>
 *
 * <h2>Precision</h2>
 * Layers compute in the data type of their input and parameters: FLOAT by default, DOUBLE for gradient checks.
 */
package org.clip4j.core.nn;
