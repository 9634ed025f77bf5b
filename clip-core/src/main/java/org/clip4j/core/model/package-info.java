/** Model-level pieces that need no tower code: {@link org.clip4j.core.model.ClipConfig} and the contrastive loss. */
package org.clip4j.core.model;
