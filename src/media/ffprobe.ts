// ffprobe (part of ffmpeg) on the first video stream of a file, its report as JSON on stdout.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/**
 * Runs ffprobe on `file` for the first video stream's `entries` (the -show_entries value);
 * `countFrames` decodes the whole stream to count its frames (nb_read_frames). Nothing is thrown:
 * the caller reads the spawn error, the exit status, stderr and the JSON on stdout.
 */
export function probeVideoStream(file: string, entries: string, countFrames = false): SpawnSyncReturns<string> {
  const count = countFrames ? ['-count_frames'] : [];
  return spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', ...count, '-show_entries', entries, '-of', 'json', file], {
    encoding: 'utf8',
  });
}
