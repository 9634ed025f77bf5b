package org.clip4j.train.dist;

import java.util.Map;

/**
 * This process's place in a distributed job, as the launcher set it in the environment, read before MPI is
 * initialised: Open MPI's {@code mpirun} ({@code OMPI_COMM_WORLD_RANK}, {@code _SIZE}, {@code _LOCAL_RANK},
 * {@code _LOCAL_SIZE}), MPICH-family / PMI launchers ({@code PMI_RANK}, {@code PMI_SIZE}, {@code MPI_LOCALRANKID}),
 * or Slurm's {@code srun} ({@code SLURM_PROCID}, {@code SLURM_NTASKS}, {@code SLURM_LOCALID}). Without any of them
 * the process is alone: rank 0 of 1, and nothing distributed is loaded.
 *
 * @param rank       this process, 0 … size−1
 * @param size       processes in the job
 * @param localRank  this process among those on its host (−1 when the launcher does not say)
 * @param localSize  processes on this host (−1 when the launcher does not say)
 * @param launcher   which variables were found: "mpirun", "pmi", "slurm" or "none"
 */
public record WorldInfo(int rank, int size, int localRank, int localSize, String launcher) {
    /** The single-process world. */
    public static final WorldInfo SINGLE = new WorldInfo(0, 1, 0, 1, "none");

    /** From this process's environment. */
    public static WorldInfo fromEnvironment() {
        return from(System.getenv());
    }

    /** From the given environment variables (see the class comment); a malformed value is a clear error. */
    public static WorldInfo from(Map<String, String> env) {
        if (env.containsKey("OMPI_COMM_WORLD_SIZE")) {
            return of(env, "mpirun", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE");
        }
        if (env.containsKey("PMI_SIZE")) return of(env, "pmi", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS");
        if (env.containsKey("SLURM_NTASKS") && env.containsKey("SLURM_PROCID")) {
            return of(env, "slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE");
        }
        return SINGLE;
    }

    private static WorldInfo of(Map<String, String> env, String launcher, String rankVar, String sizeVar, String localVar,
                                String localSizeVar) {
        int size = parse(env, sizeVar, 1);
        int rank = parse(env, rankVar, 0);
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException(rankVar + "=" + env.get(rankVar) + " and " + sizeVar + "=" + env.get(sizeVar)
                    + ": expected 0 <= rank < size");
        }
        return new WorldInfo(rank, size, parse(env, localVar, -1), parse(env, localSizeVar, -1), launcher);
    }

    private static int parse(Map<String, String> env, String name, int absent) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return absent;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            // Slurm writes SLURM_NTASKS_PER_NODE as "2" or "2(x3)"; the leading count is what is meant.
            String lead = v.trim().replaceFirst("^(\\d+).*", "$1");
            if (!lead.isEmpty() && Character.isDigit(lead.charAt(0)) && lead.chars().allMatch(Character::isDigit)) return Integer.parseInt(lead);
            throw new IllegalArgumentException("environment variable " + name + "=" + v + ": expected an integer");
        }
    }

    /** True with more than one process. */
    public boolean distributed() {
        return size > 1;
    }
}
