// Progress lines for the person running the benchmark (a CLI: plain stdout).

export function say(line = ''): void {
  console.log(line);
}
