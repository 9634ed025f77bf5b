/** clip4j encoders module (work in progress: see the project's issues). */
package org.clip4j.encoders;
