import { inflateSync } from 'node:zlib';
import { encodePng, lineChart } from '../../../evaluation/png-chart.js';

describe('PNG charts', () => {
  it('encodes a valid PNG whose pixels are the raster given', () => {
    const png = encodePng(2, 1, Buffer.from([255, 0, 0, 0, 0, 255]));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(2);
    expect(png.readUInt32BE(20)).toBe(1);
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    expect([...inflateSync(png.subarray(41, 41 + idatLen))]).toEqual([0, 255, 0, 0, 0, 0, 255]);
  });
  it('draws series into the chart area and reports the axis bounds', () => {
    const { png, bounds } = lineChart([{ name: 'a', points: [[0, 1], [10, 5]] }]);
    expect(bounds).toMatchObject({ xMin: 0, xMax: 10, yMin: 0 });
    expect(bounds.yMax).toBeCloseTo(5.25);
    expect(png.length).toBeGreaterThan(100);
  });
});
