/**
 * CLIP's image and text towers and the whole model.
 *
 * <ul>
 *   <li>{@link org.clip4j.encoders.ClipModel}: create (reference initialisation), load/save OpenAI-named
 *       safetensors, encode, logits, one training forward+backward with gradient accumulation;</li>
 *   <li>{@link org.clip4j.encoders.VisionTransformer} and {@link org.clip4j.encoders.ModifiedResNet} (state-dict
 *       structure only so far), both {@link org.clip4j.encoders.ImageEncoder}s;</li>
 *   <li>{@link org.clip4j.encoders.TextTransformer}.</li>
 * </ul>
 * The layers themselves ({@code org.clip4j.core.nn}) and the loss ({@code org.clip4j.core.model}) live in
 * clip-core; see {@code org.clip4j.core.nn} for how activations are kept for backward and released.
 */
package org.clip4j.encoders;
