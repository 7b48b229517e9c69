import { Box, render, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { RouterStatus } from '../../router/api/control/protocol.js';
import { columnWidths, dashboardRows, type DashboardRow, sparkWidthFor } from './frame.js';

export interface DashboardViewProps {
  rows: readonly DashboardRow[];
  intervalMs: number;
  /** Why the last poll failed; the rows are then the last good answer. */
  error?: string;
}

/** One frame, the same rows as the text form with the labels bold and the bars coloured. */
export function DashboardView({ rows, intervalMs, error }: DashboardViewProps) {
  const w = columnWidths(rows);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>anon-router top</Text>
        <Text dimColor>{`  every ${intervalMs / 1000} s, q quits`}</Text>
      </Text>
      {rows.map((r) => (
        <Text key={r.label}>
          <Text bold>{r.label.padEnd(w.label)}</Text>
          {`  ${r.spark === undefined ? r.value : r.value.padEnd(w.value)}`}
          {r.spark === undefined ? null : <Text color="cyan">{`  ${r.spark}`}</Text>}
        </Text>
      ))}
      {error === undefined ? null : <Text color="red">{`router not answering: ${error}`}</Text>}
    </Box>
  );
}

export interface DashboardProps {
  first: RouterStatus;
  fetch: () => Promise<RouterStatus>;
  intervalMs: number;
  /** Frames in all; without it, until q or Ctrl-C. */
  count?: number;
}

/** Polls the router and redraws; q or Ctrl-C (ink's own) ends it. */
export function Dashboard({ first, fetch, intervalMs, count }: DashboardProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const [status, setStatus] = useState(first);
  const [error, setError] = useState<string | undefined>(undefined);
  const [frames, setFrames] = useState(1);

  // Keys only where raw mode works: useInput throws otherwise (the command already checked).
  useInput(
    (input) => {
      if (input === 'q' || input === 'Q') exit();
    },
    { isActive: isRawModeSupported },
  );

  const done = count !== undefined && frames >= count;
  // After the commit, so that the last frame is drawn before ink unmounts.
  useEffect(() => {
    if (done) exit();
  }, [done, exit]);

  useEffect(() => {
    if (done) return;
    let stopped = false;
    const timer = setTimeout(() => {
      fetch().then(
        (s) => {
          if (stopped) return;
          setStatus(s);
          setError(undefined);
          setFrames((n) => n + 1);
        },
        (err: unknown) => {
          // A restart or a slow answer should not end the dashboard: show it and keep asking.
          if (stopped) return;
          setError((err as Error).message);
          setFrames((n) => n + 1);
        },
      );
    }, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [frames, done, fetch, intervalMs]);

  const sparkWidth = sparkWidthFor(stdout.columns, dashboardRows(status, { sparkWidth: 0 }));
  return <DashboardView rows={dashboardRows(status, { sparkWidth })} intervalMs={intervalMs} error={error} />;
}

/** Runs the live dashboard on the terminal until it is quit. */
export async function runDashboard(props: DashboardProps): Promise<void> {
  const app = render(<Dashboard {...props} />, { exitOnCtrlC: true });
  await app.waitUntilExit();
}
