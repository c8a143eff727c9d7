// Vivaldi accuracy benchmark: median relative error of predicted vs true RTT
// after N gossip rounds, on RTT matrices of known shape, with and without
// measurement noise. Prints figures; asserts nothing.
//
//   node dist/benchmarks/vivaldi-accuracy.js [--rounds 10,50,200,1000] [--noise 0,0.1,0.3]
import { parseArgs } from 'node:util';
import { medianRelativeError } from '../coordinates/vivaldi.js';
import { fogMatrix, gridMatrix, simulate, starMatrix } from '../tests/support/vivaldi-simulation.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10,50,200,1000' }, noise: { type: 'string', default: '0,0.1,0.3' } } });
const rounds = values.rounds.split(',').map(Number);
const noises = values.noise.split(',').map(Number);

const topologies: Record<string, number[][]> = {
  'grid 5×5, 10 ms spacing': gridMatrix(5, 10),
  'star, links 5-50 ms': starMatrix([5, 10, 20, 30, 50, 8, 12]),
  'fog, 4 edge sites + cloud 40 ms': fogMatrix(),
  'grid 10×10, 5 ms spacing': gridMatrix(10, 5),
};

console.log(`median relative error |predicted − true| / true after R rounds (every node samples one random peer per round)`);
console.log(['topology', 'noise', ...rounds.map((r) => `R=${r}`)].join(' | '));
for (const [name, rtt] of Object.entries(topologies)) {
  for (const noise of noises) {
    const cells = rounds.map((r) => `${(medianRelativeError(simulate(rtt, r, 42, noise).map((n) => n.coordinate), rtt) * 100).toFixed(1)} %`);
    console.log([name, `±${noise * 100} %`, ...cells].join(' | '));
  }
}
