/** clip4j train module (work in progress: see the project's issues). */
package org.clip4j.train;
