/** clip4j eval module (work in progress: see the project's issues). */
package org.clip4j.eval;
