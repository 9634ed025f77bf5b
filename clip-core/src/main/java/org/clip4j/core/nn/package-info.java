/**
 * Neural-network building blocks with explicit forward and backward passes over ND4J arrays.
 *
 * <h2>How backward finds its activations: the {@link org.clip4j.core.nn.Tape}</h2>
 * Every layer has {@code forward(x, tape)} and {@code backward(dy, tape)}. In training the caller passes a
 * {@link org.clip4j.core.nn.Tape}; each forward call saves one record of its own type holding exactly what its
 * backward needs ({@code tape.save(this, new Saved(...), scope)}), and backward pops it
 * ({@code tape.pop(this, Saved.class, scope)}). Calls unwind in reverse order, so a stack is all that is needed,
 * and one module object can be called several times per step (each call has its own record). With
 * {@code tape == null} (inference) nothing is saved and every intermediate is freed at once.
 *
 * <h2>The ownership rule</h2>
 * ND4J arrays live outside the Java heap; they are freed here deterministically, never by the garbage collector.
 * One rule covers all of them: <b>every array has exactly one owner, and only the owner releases it, once,
 * through the array it was given.</b> The owner is a {@link org.clip4j.core.nn.Scope}, a tape record, a
 * {@link org.clip4j.core.nn.Parameter}, or code outside any scope (the library's user).
 * <ul>
 *   <li>A method that creates arrays opens a {@code Scope} and {@linkplain org.clip4j.core.nn.Scope#track tracks}
 *       them as it creates them; the scope frees them when the {@code try} ends, also when an exception is
 *       thrown.</li>
 *   <li>Arguments are borrowed: a method never releases its input (nor a parameter's value or gradient). An
 *       argument may be donated explicitly: the callee {@linkplain org.clip4j.core.nn.Scope#adopt adopts} it and
 *       may then overwrite it or return it as its result.</li>
 *   <li>Results are owned by the caller: {@linkplain org.clip4j.core.nn.Scope#ret ret} hands an array to the
 *       enclosing scope (so a layer's result is already its caller's scope's), or at the outermost level to the
 *       user, who releases it with {@link org.clip4j.core.nn.Tensors#release} or {@code close()}.</li>
 *   <li>Arrays saved in a tape record that the forward's scope owns move to the tape; the backward's scope
 *       receives them with the record and frees them when that backward returns. Other components of the record
 *       are references to borrowed arrays, which the caller keeps alive until the backward has run.</li>
 *   <li>Views ({@code reshape}, {@code get}, {@code permute}, {@code transpose}) share their source's memory and
 *       are never tracked or released on their own. The one exception is the array that stands for a pooled
 *       buffer: {@link org.clip4j.core.nn.Tensors#create4} may return a {@code permute} view of a
 *       {@link org.clip4j.core.nn.BufferPool} array, and that view is what its owner tracks and releases (the
 *       buffer goes back to the pool).</li>
 * </ul>
 * {@link org.clip4j.core.nn.Memcheck} ({@code -Dclip4j.memcheck=true}, on for the whole test suite) fails on a
 * double release, a release of a borrowed array and an array a scope neither freed, returned nor saved.
 *
 * <h2>Precision</h2>
 * Layers compute in the data type of their input and parameters: FLOAT by default, DOUBLE for gradient checks.
 */
package org.clip4j.core.nn;
