package org.guestmem.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The GitHub workflows parse as YAML and have the jobs, runners and triggers the project relies
 * on: CI on x86 and Arm with the same {@code .ci/run}, and jcstress in its default mode on both,
 * weekly and on demand.
 */
class WorkflowsTest {
    private static final Path WORKFLOWS = Path.of("..", ".github", "workflows");
    private static final List<String> RUNNERS = List.of("ubuntu-latest", "ubuntu-24.04-arm");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> load(Path file) throws IOException {
        Object doc = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
        return assertInstanceOf(Map.class, doc, file + " is not a YAML mapping");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        return assertInstanceOf(Map.class, o, what);
    }

    @Test
    void everyWorkflowIsValidYamlWithJobs() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(WORKFLOWS)) {
            files = s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 3, "workflows: " + files);
        for (Path f : files) {
            Map<String, Object> w = load(f);
            assertNotNull(w.get("name"), f + " has no name");
            assertNotNull(w.get("on"), f + " has no trigger");
            assertFalse(map(w.get("jobs"), f + " jobs").isEmpty(), f + " has no job");
        }
    }

    @Test
    void ciRunsTheSameScriptOnX86AndArm() throws IOException {
        Map<String, Object> job = map(map(load(WORKFLOWS.resolve("ci.yml")).get("jobs"), "jobs").get("test"), "test job");
        Map<String, Object> matrix = map(map(job.get("strategy"), "strategy").get("matrix"), "matrix");
        assertEquals(RUNNERS, matrix.get("os"));
        assertEquals("${{ matrix.os }}", job.get("runs-on"));
        assertTrue(job.get("steps").toString().contains("run=.ci/run"), job.get("steps").toString());
    }

    @Test
    void jcstressRunsItsDefaultModeWeeklyAndOnDemandOnBothArchitectures() throws IOException {
        Map<String, Object> w = load(WORKFLOWS.resolve("jcstress.yml"));
        Map<String, Object> on = map(w.get("on"), "on");
        assertTrue(on.containsKey("workflow_dispatch"), "manual trigger");
        List<?> schedule = assertInstanceOf(List.class, on.get("schedule"));
        String cron = (String) map(schedule.getFirst(), "schedule entry").get("cron");
        String[] fields = cron.split(" ");
        assertEquals(5, fields.length, cron);
        assertTrue(fields[2].equals("*") && fields[3].equals("*") && !fields[4].equals("*"), "weekly: " + cron);
        Map<String, Object> job = map(map(w.get("jobs"), "jobs").get("jcstress"), "jcstress job");
        assertEquals(RUNNERS, map(map(job.get("strategy"), "strategy").get("matrix"), "matrix").get("os"));
        assertTrue(((Number) job.get("timeout-minutes")).intValue() >= 180, "hours, not minutes");
        String steps = job.get("steps").toString();
        assertTrue(steps.contains("-Pjcstress-default"), steps);
        assertTrue(steps.contains("upload-artifact") && steps.contains("concurrency-test/target/jcstress"), steps);
    }
}
