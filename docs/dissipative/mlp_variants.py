# A scratch measurement for docs/DISSIPATIVE.md ("Does a residual MLP help the baseline?"), kept so
# it can be rerun: numpy only, float64, hand-written backward pass, PyTorch's Adam (lr 1e-3) on the
# D-HNN paper's damped-spring grid (np.random.seed(seed); np.random.permutation(625); 531 train, 94
# test), 5000 updates of 128 rows, the test MSE every 100 updates. Variants (first argument):
#   orth-nobias        ours: orthogonal weights, uniform biases, no output bias, plain 2 -> 256 -> 256 -> 2
#   orth-nobias-res    the same with the reference's residual second layer, h = h1 + tanh(h1 W1 + b1)
#   torch              PyTorch's default init (uniform +-1/sqrt(fan_in)) with an output bias, plain
#   torch-res          the reference's MLP (models.py): torch init, output bias, residual
# Batches (second argument): rand (a fresh permutation's first 128 rows per update, as hnn-ts does),
# seq (the reference's get_batch: rows [128 s mod 531, + 128)). Usage:
#   OMP_NUM_THREADS=1 python3 mlp_variants.py torch-res seq 42
# It prints the final model's test MSE and the mean of the last 5 evaluations.
import numpy as np, sys, time
def data(seed):
    np.random.seed(seed)
    lin=np.linspace(-1.2,1.2,25); b,a=np.meshgrid(lin,lin)
    X=np.stack([b.flatten(),a.flatten()]).T; q,p=X[:,0],X[:,1]
    DX=np.stack([2*p-2*q,-2*q]).T
    ix=np.random.permutation(625); X=X[ix]; DX=DX[ix]
    return X[:531],DX[:531],X[531:],DX[531:]
def orth(fi,fo,rng):
    a=rng.standard_normal((max(fi,fo),min(fi,fo))); qm,r=np.linalg.qr(a); qm*=np.sign(np.diag(r))
    return qm if fi>=fo else qm.T
def init(kind,rng,H=256):
    sizes=[2,H,H,2]; P={}
    for l in range(3):
        fi,fo=sizes[l],sizes[l+1]; bd=1/np.sqrt(fi)
        P['W%d'%l]=orth(fi,fo,rng) if 'orth' in kind else rng.uniform(-bd,bd,(fi,fo))
        P['b%d'%l]=rng.uniform(-bd,bd,fo)
    if 'nobias' in kind: P['b2']=np.zeros(2)
    return P
def fwd(P,x,res):
    h1=np.tanh(x@P['W0']+P['b0']); h2t=np.tanh(h1@P['W1']+P['b1'])
    h2=h1+h2t if res else h2t
    return h1,h2t,h2,h2@P['W2']+P['b2']
def grads(P,x,y,res):
    h1,h2t,h2,out=fwd(P,x,res); n=x.shape[0]
    r=out-y; g={}; d=2*r/r.size
    g['W2']=h2.T@d; g['b2']=d.sum(0)
    dh2=d@P['W2'].T; da1=dh2*(1-h2t**2)
    g['W1']=h1.T@da1; g['b1']=da1.sum(0)
    dh1=da1@P['W1'].T + (dh2 if res else 0); da0=dh1*(1-h1**2)
    g['W0']=x.T@da0; g['b0']=da0.sum(0)
    return g,(r**2).mean()
def run(kind,seed,steps=5000,lr=1e-3,bs=128,mode='seq'):
    X,DX,Xt,DXt=data(seed); rng=np.random.default_rng(seed); P=init(kind,rng)
    res='res' in kind; m={k:0*v for k,v in P.items()}; v={k:0*v for k,v in P.items()}
    hist=[]
    for s in range(steps):
        if mode=='seq':
            bix=(s*bs)%531; xb,yb=X[bix:bix+bs],DX[bix:bix+bs]
        elif mode=='full': xb,yb=X,DX
        else:
            ix=rng.permutation(531)[:bs]; xb,yb=X[ix],DX[ix]
        g,_=grads(P,xb,yb,res)
        if 'nobias' in kind: g['b2']*=0
        for k in P:
            m[k]=0.9*m[k]+0.1*g[k]; v[k]=0.999*v[k]+0.001*g[k]**2
            mh=m[k]/(1-0.9**(s+1)); vh=v[k]/(1-0.999**(s+1)); P[k]-=lr*mh/(np.sqrt(vh)+1e-8)
        if s%100==0: hist.append(((fwd(P,Xt,res)[3]-DXt)**2).mean())
    final=((fwd(P,Xt,res)[3]-DXt)**2).mean()
    return final,np.mean(hist[-5:])
if __name__=='__main__':
    kind=sys.argv[1]; mode=sys.argv[2]
    for seed in [int(a) for a in sys.argv[3:]]:
        t=time.time(); f,l5=run(kind,seed,mode=mode); print(kind,mode,seed,'final %.2e last5 %.2e (%.0fs)'%(f,l5,time.time()-t),flush=True)
