package org.clip4j.train.dist;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class WorldInfoTest {
    @Test
    void readsEachLaunchersVariables() {
        assertEquals(new WorldInfo(3, 8, 1, 2, "mpirun"), WorldInfo.from(Map.of("OMPI_COMM_WORLD_RANK", "3",
                "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK", "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "2")));
        assertEquals(new WorldInfo(1, 4, -1, -1, "pmi"), WorldInfo.from(Map.of("PMI_RANK", "1", "PMI_SIZE", "4")));
        assertEquals(new WorldInfo(5, 16, 1, 4, "slurm"), WorldInfo.from(Map.of("SLURM_PROCID", "5", "SLURM_NTASKS", "16",
                "SLURM_LOCALID", "1", "SLURM_NTASKS_PER_NODE", "4(x4)")));
        assertEquals(WorldInfo.SINGLE, WorldInfo.from(Map.of("HOME", "/root")));
        assertFalse(WorldInfo.SINGLE.distributed());
        assertTrue(WorldInfo.from(Map.of("PMI_RANK", "0", "PMI_SIZE", "2")).distributed());
    }

    @Test
    void badValuesNameTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorldInfo.from(Map.of("PMI_RANK", "x", "PMI_SIZE", "2")));
        assertTrue(e.getMessage().contains("PMI_RANK=x"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WorldInfo.from(Map.of("PMI_RANK", "2", "PMI_SIZE", "2")));
        assertTrue(e.getMessage().contains("expected 0 <= rank < size"), e.getMessage());
    }
}
